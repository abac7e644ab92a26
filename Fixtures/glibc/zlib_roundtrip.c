// Checks zlib (Debian's libz.a linked statically) as a workload: compresses 1 MiB of
// deterministic, partly repetitive data with compress2 at levels 1, 6 and 9, uncompresses
// each and checks the round trip, prints the compressed sizes, CRC-32 and Adler-32; then
// streams the data through deflate/inflate in 4 KiB pieces and writes it as data.gz with
// gzwrite (the file is compared byte for byte) and reads it back with gzread.
// conformance-ldflags: -lz
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define SIZE (1u << 20)

int main(void) {
    unsigned char *data = malloc(SIZE);
    uint32_t state = 2463534242u;
    static const char *words[] = {"unikernel ", "swift ", "kvm ", "glibc ", "musl ", "zlib "};
    for (size_t i = 0; i < SIZE;) {
        state ^= state << 13; state ^= state >> 17; state ^= state << 5;
        if (state % 4 == 0) {                        // a random byte run
            for (int k = 0; k < 8 && i < SIZE; k++) data[i++] = (unsigned char)(state >> (k * 4));
        } else {                                     // a repeated word
            for (const char *w = words[state % 6]; *w && i < SIZE; w++) data[i++] = (unsigned char)*w;
        }
    }
    uLong crc = crc32(crc32(0L, Z_NULL, 0), data, SIZE);
    uLong adler = adler32(adler32(0L, Z_NULL, 0), data, SIZE);
    printf("input: %u bytes, crc32 %08lx, adler32 %08lx\n", SIZE, crc, adler);

    uLongf bound = compressBound(SIZE);
    unsigned char *packed = malloc(bound), *unpacked = malloc(SIZE);
    int levels[] = {1, 6, 9};
    for (int l = 0; l < 3; l++) {
        uLongf packedSize = bound, unpackedSize = SIZE;
        int rc1 = compress2(packed, &packedSize, data, SIZE, levels[l]);
        memset(unpacked, 0, SIZE);
        int rc2 = uncompress(unpacked, &unpackedSize, packed, packedSize);
        printf("level %d: compress %d, %lu bytes (%.1f%%), crc32 of compressed %08lx, uncompress %d, %lu bytes, "
               "round trip %s, crc32 %08lx\n", levels[l], rc1, packedSize, 100.0 * packedSize / SIZE,
               crc32(0L, packed, packedSize), rc2, unpackedSize,
               unpackedSize == SIZE && memcmp(data, unpacked, SIZE) == 0 ? "ok" : "MISMATCH",
               crc32(0L, unpacked, unpackedSize));
    }

    // Streaming, 4 KiB in and out at a time.
    z_stream d = {0}, inf = {0};
    deflateInit(&d, Z_DEFAULT_COMPRESSION);
    inflateInit(&inf);
    unsigned char out[4096], back[4096];
    size_t consumed = 0, produced = 0, restored = 0;
    int same = 1, flush;
    do {
        size_t piece = SIZE - consumed < 4096 ? SIZE - consumed : 4096;
        d.next_in = data + consumed; d.avail_in = (uInt)piece;
        consumed += piece;
        flush = consumed == SIZE ? Z_FINISH : Z_NO_FLUSH;
        do {
            d.next_out = out; d.avail_out = sizeof out;
            deflate(&d, flush);
            size_t have = sizeof out - d.avail_out;
            produced += have;
            inf.next_in = out; inf.avail_in = (uInt)have;
            do {
                inf.next_out = back; inf.avail_out = sizeof back;
                inflate(&inf, Z_NO_FLUSH);
                size_t got = sizeof back - inf.avail_out;
                if (restored + got > SIZE || memcmp(back, data + restored, got)) same = 0;
                restored += got;
            } while (inf.avail_out == 0);
        } while (d.avail_out == 0);
    } while (flush != Z_FINISH);
    printf("stream: %zu bytes compressed, %zu restored, identical %s, total_in %lu total_out %lu\n",
           produced, restored, same && restored == SIZE ? "yes" : "no", d.total_in, d.total_out);
    deflateEnd(&d);
    inflateEnd(&inf);

    gzFile gz = gzopen("data.gz", "wb9");
    int written = gzwrite(gz, data, SIZE);
    int closed = gzclose(gz);
    gz = gzopen("data.gz", "rb");
    memset(unpacked, 0, SIZE);
    int read = gzread(gz, unpacked, SIZE);
    int extra = gzread(gz, back, sizeof back);
    gzclose(gz);
    FILE *file = fopen("data.gz", "rb");
    fseek(file, 0, SEEK_END);
    long fileSize = ftell(file);
    fclose(file);
    printf("gzip file: wrote %d, close %d, %ld bytes on disk, read back %d (+%d), identical %s\n",
           written, closed, fileSize, read, extra,
           read == (int)SIZE && memcmp(data, unpacked, SIZE) == 0 ? "yes" : "no");
    printf("zlib version %s\n", zlibVersion());
    free(data); free(packed); free(unpacked);
    return 0;
}
