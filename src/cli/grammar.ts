/**
 * bpftool accepts any prefix of a keyword (`bpftool p s` is `prog show`); so do we.
 * An empty word matches nothing.
 */
export function isKeyword(word: string | undefined, keyword: string): boolean {
  return word !== undefined && word.length > 0 && keyword.startsWith(word);
}
