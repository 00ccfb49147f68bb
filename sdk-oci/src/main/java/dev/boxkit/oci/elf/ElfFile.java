package dev.boxkit.oci.elf;

import dev.boxkit.oci.InvalidInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the dynamic loader needs to know about one ELF file: its class, byte order and machine,
 * its {@code PT_INTERP} interpreter, and from {@code PT_DYNAMIC} the {@code DT_NEEDED} sonames
 * and the {@code DT_RPATH}/{@code DT_RUNPATH} search lists. Follows the System V gABI, chapter
 * 5 ("Program Loading and Dynamic Linking").
 *
 * @param is64 true for ELFCLASS64
 * @param bigEndian true for ELFDATA2MSB
 * @param machine {@code e_machine}, e.g. 62 (x86-64) or 183 (AArch64)
 * @param interpreter the {@code PT_INTERP} path, empty for static programs and libraries
 * @param needed {@code DT_NEEDED} entries in order
 * @param rpath {@code DT_RPATH} directories (only used by the loader when there is no runpath)
 * @param runpath {@code DT_RUNPATH} directories
 */
public record ElfFile(boolean is64, boolean bigEndian, int machine, Optional<String> interpreter,
    List<String> needed, List<String> rpath, List<String> runpath) {

  private static final int PT_LOAD = 1;
  private static final int PT_DYNAMIC = 2;
  private static final int PT_INTERP = 3;
  private static final long DT_NULL = 0;
  private static final long DT_NEEDED = 1;
  private static final long DT_STRTAB = 5;
  private static final long DT_RPATH = 15;
  private static final long DT_RUNPATH = 29;
  /** ELF files BoxKit reads are small headers; refuse absurd tables rather than allocate them. */
  private static final int MAX_TABLE_BYTES = 16 * 1024 * 1024;

  /** Validates and copies the lists. */
  public ElfFile {
    needed = List.copyOf(needed);
    rpath = List.copyOf(rpath);
    runpath = List.copyOf(runpath);
  }

  /**
   * @param file a path on the host
   * @return true when the file starts with the ELF magic {@code 0x7f 'E' 'L' 'F'}
   * @throws IOException if the file cannot be read
   */
  public static boolean isElf(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(4);
      while (b.hasRemaining() && ch.read(b) > 0) {
        // keep reading: a short read is legal
      }
      return b.position() == 4 && b.get(0) == 0x7f && b.get(1) == 'E' && b.get(2) == 'L'
          && b.get(3) == 'F';
    }
  }

  /**
   * Reads the headers of {@code file}.
   *
   * @throws InvalidInputException (field {@code "elf"}) when the file is not a well-formed ELF
   *     file: bad magic, unknown class or byte order, tables outside the file
   * @throws IOException if reading fails
   */
  public static ElfFile read(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return new Parser(file, ch).parse();
    }
  }

  /**
   * @return the OCI / Go {@code GOARCH} name of this file's machine, e.g. {@code amd64} for
   *     x86-64 (62) or {@code arm64} for AArch64 (183); empty for a machine OCI has no name for
   */
  public Optional<String> architecture() {
    switch (machine) {
      case 62: return Optional.of(is64 ? "amd64" : "amd64p32");
      case 183: return Optional.of("arm64");
      case 3: return Optional.of("386");
      case 40: return Optional.of("arm");
      case 243: return Optional.of(is64 ? "riscv64" : "riscv32");
      case 21: return Optional.of(bigEndian ? "ppc64" : "ppc64le");
      case 22: return Optional.of("s390x");
      case 258: return Optional.of("loong64");
      case 8: return Optional.of(is64 ? (bigEndian ? "mips64" : "mips64le") : (bigEndian ? "mips" : "mipsle"));
      default: return Optional.empty();
    }
  }

  /** @return true when {@code other} can be loaded into the same process as this file */
  public boolean compatibleWith(ElfFile other) {
    return is64 == other.is64 && bigEndian == other.bigEndian && machine == other.machine;
  }

  private static final class Parser {
    private final Path file;
    private final FileChannel ch;
    private final long size;
    private boolean is64;
    private ByteOrder order;

    Parser(Path file, FileChannel ch) throws IOException {
      this.file = file;
      this.ch = ch;
      this.size = ch.size();
    }

    ElfFile parse() throws IOException {
      ByteBuffer ident = read(0, 16);
      if (ident.get(0) != 0x7f || ident.get(1) != 'E' || ident.get(2) != 'L' || ident.get(3) != 'F') {
        throw bad("not an ELF file (bad magic)");
      }
      is64 = switch (ident.get(4)) {
        case 1 -> false;
        case 2 -> true;
        default -> throw bad("unknown ELF class " + ident.get(4));
      };
      order = switch (ident.get(5)) {
        case 1 -> ByteOrder.LITTLE_ENDIAN;
        case 2 -> ByteOrder.BIG_ENDIAN;
        default -> throw bad("unknown ELF data encoding " + ident.get(5));
      };
      ByteBuffer h = read(0, is64 ? 64 : 52);
      int machine = Short.toUnsignedInt(h.getShort(18));
      long phoff = is64 ? h.getLong(32) : Integer.toUnsignedLong(h.getInt(28));
      int phentsize = Short.toUnsignedInt(h.getShort(is64 ? 54 : 42));
      int phnum = Short.toUnsignedInt(h.getShort(is64 ? 56 : 44));
      if (phnum == 0) {
        return new ElfFile(is64, order == ByteOrder.BIG_ENDIAN, machine, Optional.empty(),
            List.of(), List.of(), List.of());
      }
      if (phentsize < (is64 ? 56 : 32)) {
        throw bad("program header entries too small: " + phentsize);
      }
      ByteBuffer ph = read(phoff, (long) phentsize * phnum);
      List<long[]> loads = new ArrayList<>(); // {vaddr, offset, filesz}
      String interp = null;
      long dynOff = -1;
      long dynSize = 0;
      for (int i = 0; i < phnum; i++) {
        int base = i * phentsize;
        int type = ph.getInt(base);
        long offset = is64 ? ph.getLong(base + 8) : Integer.toUnsignedLong(ph.getInt(base + 4));
        long vaddr = is64 ? ph.getLong(base + 16) : Integer.toUnsignedLong(ph.getInt(base + 8));
        long filesz = is64 ? ph.getLong(base + 32) : Integer.toUnsignedLong(ph.getInt(base + 16));
        switch (type) {
          case PT_LOAD -> loads.add(new long[] {vaddr, offset, filesz});
          case PT_INTERP -> interp = cString(read(offset, filesz), 0);
          case PT_DYNAMIC -> {
            dynOff = offset;
            dynSize = filesz;
          }
          default -> { }
        }
      }
      List<String> needed = new ArrayList<>();
      List<String> rpath = new ArrayList<>();
      List<String> runpath = new ArrayList<>();
      if (dynOff >= 0) {
        readDynamic(dynOff, dynSize, loads, needed, rpath, runpath);
      }
      return new ElfFile(is64, order == ByteOrder.BIG_ENDIAN, machine, Optional.ofNullable(interp),
          needed, rpath, runpath);
    }

    private void readDynamic(long off, long len, List<long[]> loads, List<String> needed,
        List<String> rpath, List<String> runpath) throws IOException {
      ByteBuffer dyn = read(off, len);
      int entSize = is64 ? 16 : 8;
      long strtabVaddr = -1;
      List<long[]> refs = new ArrayList<>(); // {tag, value}
      for (int p = 0; p + entSize <= dyn.limit(); p += entSize) {
        long tag = is64 ? dyn.getLong(p) : dyn.getInt(p);
        long val = is64 ? dyn.getLong(p + 8) : Integer.toUnsignedLong(dyn.getInt(p + 4));
        if (tag == DT_NULL) {
          break;
        }
        if (tag == DT_STRTAB) {
          strtabVaddr = val;
        } else if (tag == DT_NEEDED || tag == DT_RPATH || tag == DT_RUNPATH) {
          refs.add(new long[] {tag, val});
        }
      }
      if (refs.isEmpty()) {
        return;
      }
      if (strtabVaddr < 0) {
        throw bad("PT_DYNAMIC has DT_NEEDED/DT_RPATH entries but no DT_STRTAB");
      }
      long strtabOff = toOffset(strtabVaddr, loads);
      for (long[] ref : refs) {
        String s = cString(read(strtabOff + ref[1], Math.min(4096, size - strtabOff - ref[1])), 0);
        if (ref[0] == DT_NEEDED) {
          needed.add(s);
        } else {
          List<String> target = ref[0] == DT_RPATH ? rpath : runpath;
          for (String dir : s.split(":")) {
            if (!dir.isEmpty()) {
              target.add(dir);
            }
          }
        }
      }
    }

    private long toOffset(long vaddr, List<long[]> loads) throws IOException {
      for (long[] l : loads) {
        if (vaddr >= l[0] && vaddr < l[0] + l[2]) {
          return vaddr - l[0] + l[1];
        }
      }
      throw bad("DT_STRTAB address 0x" + Long.toHexString(vaddr) + " is in no PT_LOAD segment");
    }

    private ByteBuffer read(long off, long len) throws IOException {
      if (off < 0 || len < 0 || len > MAX_TABLE_BYTES || off + len > size) {
        throw bad("table at offset " + off + " length " + len + " lies outside the file ("
            + size + " bytes)");
      }
      ByteBuffer b = ByteBuffer.allocate((int) len).order(order == null ? ByteOrder.LITTLE_ENDIAN : order);
      while (b.hasRemaining()) {
        if (ch.read(b, off + b.position()) < 0) {
          throw bad("unexpected end of file at offset " + (off + b.position()));
        }
      }
      return b.flip();
    }

    private InvalidInputException bad(String reason) {
      return new InvalidInputException("elf", file.toString(), reason);
    }
  }

  private static String cString(ByteBuffer b, int from) {
    int end = from;
    while (end < b.limit() && b.get(end) != 0) {
      end++;
    }
    byte[] bytes = new byte[end - from];
    b.get(from, bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
