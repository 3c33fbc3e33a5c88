// Reference answers from libbpf for test/btf/parse.test.ts: for every type of a BTF file (raw or
// ELF, optionally split on -B BASE), prints "id kind resolve_type resolve_size align_of" with
// libbpf's own functions; errors print as negative numbers.
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct btf *base = NULL, *btf;
	const char *path;
	int i, start = 1, n;

	libbpf_set_print(NULL);
	if (argc == 4 && strcmp(argv[1], "-B") == 0) {
		base = btf__parse(argv[2], NULL);
		if (!base)
			return 2;
		path = argv[3];
	} else if (argc == 2) {
		path = argv[1];
	} else {
		fprintf(stderr, "usage: btf-query [-B BASE] FILE\n");
		return 2;
	}
	btf = btf__parse_split(path, base);
	if (!btf)
		return 3;
	if (base)
		start = btf__type_cnt(base);
	n = btf__type_cnt(btf);
	for (i = start; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);

		printf("%d %d %d %lld %d\n", i, btf_kind(t), btf__resolve_type(btf, i),
		       (long long)btf__resolve_size(btf, i), btf__align_of(btf, i));
	}
	btf__free(btf);
	btf__free(base);
	return 0;
}
