package dev.boxkit.oci.elf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The soname → path entries of glibc's {@code /etc/ld.so.cache} ("new" format,
 * {@code glibc-ld.so.cache1.1}, as written by {@code ldconfig(8)}; layout from glibc
 * {@code sysdeps/generic/dl-cache.h}). A cache may hold libraries of several ELF classes, so
 * callers check each candidate with {@link ElfFile#compatibleWith}.
 */
public final class LdSoCache {
  private static final byte[] MAGIC_NEW = "glibc-ld.so.cache1.1".getBytes(StandardCharsets.US_ASCII);
  private static final int HEADER_BYTES = 48;
  private static final int ENTRY_BYTES = 24;

  private final Map<String, List<String>> bySoname;

  private LdSoCache(Map<String, List<String>> bySoname) {
    this.bySoname = bySoname;
  }

  /** @return an empty cache: only the default directories are searched */
  public static LdSoCache empty() {
    return new LdSoCache(Map.of());
  }

  /**
   * Reads a cache file; a missing file or an unknown format gives an empty cache, since the
   * loader then falls back to the default directories too.
   *
   * @param file usually {@code /etc/ld.so.cache}
   * @throws IOException if the file exists but cannot be read
   */
  public static LdSoCache read(Path file) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return empty();
    }
    int start = indexOf(bytes, MAGIC_NEW);
    if (start < 0 || start + HEADER_BYTES > bytes.length) {
      return empty();
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
    long nlibs = Integer.toUnsignedLong(b.getInt(start + 20));
    Map<String, List<String>> map = new LinkedHashMap<>();
    for (long i = 0; i < nlibs; i++) {
      long at = start + HEADER_BYTES + i * ENTRY_BYTES;
      if (at + ENTRY_BYTES > bytes.length) {
        break;
      }
      // String offsets in the new format are relative to the new header.
      String key = cString(bytes, start + Integer.toUnsignedLong(b.getInt((int) at + 4)));
      String value = cString(bytes, start + Integer.toUnsignedLong(b.getInt((int) at + 8)));
      if (key != null && value != null) {
        map.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
      }
    }
    map.replaceAll((k, v) -> List.copyOf(v));
    return new LdSoCache(Collections.unmodifiableMap(map));
  }

  /** @return the cached paths for {@code soname}, in cache order (best first); empty if none */
  public List<String> lookup(String soname) {
    return bySoname.getOrDefault(soname, List.of());
  }

  /** @return the number of distinct sonames in the cache */
  public int size() {
    return bySoname.size();
  }

  private static String cString(byte[] bytes, long from) {
    if (from < 0 || from >= bytes.length) {
      return null;
    }
    int end = (int) from;
    while (end < bytes.length && bytes[end] != 0) {
      end++;
    }
    return new String(bytes, (int) from, end - (int) from, StandardCharsets.UTF_8);
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
