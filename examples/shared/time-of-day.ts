/** The local time as the tools' TIME columns show it: `HH:MM:SS`. */
export function timeOfDay(): string {
  return new Date().toTimeString().slice(0, 8);
}
