package dev.boxkit.sandbox.vm;

import dev.boxkit.oci.unpack.FileOwner;
import dev.boxkit.sandbox.SandboxException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a directory tree as an uncompressed EROFS image, the read-only file system a VM's large
 * root is booted from on a virtio-blk device (Linux {@code fs/erofs/erofs_fs.h}, the on-disk
 * format; {@code Documentation/filesystems/erofs.rst}).
 *
 * <p>The layout is the simplest the kernel reads: 4 KiB blocks; the superblock at byte 1024; every
 * inode extended (64 bytes: 64-bit size, 32-bit ids, mtime with nanoseconds) in one table right
 * after it, in depth-first order, so the root's nid is 36 as with {@code mkfs.erofs}; every
 * file's, directory's and symbolic link's data in whole blocks of its own ({@code FLAT_PLAIN}),
 * in the same order. Directories hold {@code .} and {@code ..} and their entries sorted by bytes,
 * packed into blocks as the kernel's binary search expects. Hard links within the tree share an
 * inode. Extended attributes are not written. The bytes depend only on the tree's names, types,
 * modes, owners, times, device numbers, link targets and contents: the superblock carries no build
 * time or UUID.
 *
 * <p>Files are copied with {@link FileChannel#transferTo} (in the kernel where it can), and never
 * followed through symbolic links; a file whose size changes while it is copied fails the write.
 */
final class ErofsImage {
  /** Block size: 4 KiB, the page size the kernel requires of an EROFS block. */
  static final int BLOCK = 4096;
  /** {@code EROFS_SUPER_MAGIC_V1}. */
  static final int MAGIC = 0xE0F5E1E2;
  private static final int SUPER_OFFSET = 1024;
  private static final int SUPER_SIZE = 128;
  /** The inode table starts right after the superblock (meta_blkaddr 0), 64-byte aligned. */
  private static final int INODES_OFFSET = SUPER_OFFSET + SUPER_SIZE;
  private static final int INODE_SIZE = 64;
  private static final int SLOT = 32; // nid = byte offset in the metadata area / 32
  private static final int DIRENT_SIZE = 12;
  private static final int S_IFMT = 0170000;

  /**
   * What was written.
   *
   * @param bytes the image's size in bytes, a multiple of {@value #BLOCK}
   * @param inodes inodes in the image (hard links count once)
   * @param fileBytes bytes of regular file contents copied
   */
  record Written(long bytes, long inodes, long fileBytes) {}

  private ErofsImage() {}

  /** One inode: a file, directory, link, device, fifo or socket of the tree. */
  private static final class Inode {
    Path path;
    String rel;
    int mode;
    long uid;
    long gid;
    long mtimeSeconds;
    int mtimeNanos;
    long size;
    long rdev;
    byte[] link;
    int nlink = 1;
    /** Directories: entries other than "." and "..", sorted by name bytes. */
    List<Entry> children;
    Inode parent;
    long nid;
    long blkaddr;
    byte[] dirData;

    int type() {
      return mode & S_IFMT;
    }
  }

  private record Entry(byte[] name, Inode inode) {}

  /**
   * Writes {@code root} and everything under it into {@code image}, which must not exist.
   *
   * @param root the directory that becomes the file system's root
   * @param owners owners to write instead of what the host reports, by path relative to
   *     {@code root} ({@code usr/bin/x}; {@code ""} for the root), as an unprivileged unpack
   *     records them ({@link dev.boxkit.oci.unpack.CachedRootfs#ownersNotApplied()})
   * @param image the file to create
   * @return what was written
   * @throws SandboxException when the tree cannot be read, a file changes while it is copied, or
   *     the image cannot be written (a partly written image is deleted)
   */
  static Written write(Path root, Map<String, FileOwner> owners, Path image) {
    try {
      Inode top = scan(root, owners);
      List<Inode> order = preorder(top);
      long next = layout(order);
      FileChannel out = FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      try (out) {
        return emit(order, next, out);
      } catch (IOException | RuntimeException e) {
        Files.deleteIfExists(image); // created above, so ours to delete
        throw e;
      }
    } catch (IOException e) {
      throw new SandboxException("writing the EROFS image " + image + " of " + root + ": " + e, e);
    }
  }

  private static Inode scan(Path root, Map<String, FileOwner> owners) throws IOException {
    Map<String, Inode> byFileKey = new HashMap<>();
    Inode top = read(root, "", owners);
    if (top.type() != 0040000) {
      throw new SandboxException("VM root " + root + " is not a directory");
    }
    Deque<Inode> dirs = new ArrayDeque<>();
    dirs.push(top);
    while (!dirs.isEmpty()) {
      Inode dir = dirs.pop();
      List<Entry> children = new ArrayList<>();
      try (DirectoryStream<Path> s = Files.newDirectoryStream(dir.path)) {
        for (Path p : s) {
          String name = p.getFileName().toString();
          String rel = dir.rel.isEmpty() ? name : dir.rel + "/" + name;
          Map<String, Object> a = attributes(p);
          Inode child;
          long nlink = ((Number) a.get("nlink")).longValue();
          String key = a.get("dev") + ":" + a.get("ino");
          int mode = (Integer) a.get("mode");
          if ((mode & S_IFMT) != 0040000 && nlink > 1 && byFileKey.containsKey(key)) {
            child = byFileKey.get(key);
            child.nlink++;
          } else {
            child = inode(p, rel, a, owners);
            if (child.type() != 0040000 && nlink > 1) {
              byFileKey.put(key, child);
            }
            if (child.type() == 0040000) {
              child.parent = dir;
              dir.nlink++;
              dirs.push(child);
            }
          }
          byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
          if (bytes.length > 255) {
            throw new SandboxException("VM root entry " + p + ": name longer than 255 bytes");
          }
          children.add(new Entry(bytes, child));
        }
      }
      children.sort((x, y) -> Arrays.compareUnsigned(x.name, y.name));
      dir.children = children;
    }
    top.parent = top;
    return top;
  }

  private static Map<String, Object> attributes(Path p) throws IOException {
    return Files.readAttributes(p, "unix:mode,uid,gid,lastModifiedTime,rdev,size,ino,dev,nlink",
        LinkOption.NOFOLLOW_LINKS);
  }

  private static Inode read(Path p, String rel, Map<String, FileOwner> owners) throws IOException {
    return inode(p, rel, attributes(p), owners);
  }

  private static Inode inode(Path p, String rel, Map<String, Object> a, Map<String, FileOwner> owners)
      throws IOException {
    Inode n = new Inode();
    n.path = p;
    n.rel = rel;
    n.mode = ((Integer) a.get("mode")) & 0xFFFF;
    FileOwner o = owners.get(rel);
    n.uid = o != null ? o.uid() : ((Integer) a.get("uid")) & 0xFFFFFFFFL;
    n.gid = o != null ? o.gid() : ((Integer) a.get("gid")) & 0xFFFFFFFFL;
    Instant t = ((FileTime) a.get("lastModifiedTime")).toInstant();
    n.mtimeSeconds = Math.max(0, t.getEpochSecond());
    n.mtimeNanos = t.getEpochSecond() < 0 ? 0 : t.getNano();
    n.rdev = (Long) a.get("rdev");
    switch (n.type()) {
      case 0100000 -> n.size = (Long) a.get("size");
      case 0120000 -> {
        n.link = Files.readSymbolicLink(p).toString().getBytes(StandardCharsets.UTF_8);
        n.size = n.link.length;
      }
      case 0040000 -> n.nlink = 2;
      case 0020000, 0060000, 0010000, 0140000 -> n.size = 0;
      default -> throw new SandboxException("VM root entry " + p + " is of unknown type "
          + Integer.toOctalString(n.type()));
    }
    return n;
  }

  private static List<Inode> preorder(Inode top) {
    List<Inode> order = new ArrayList<>();
    Deque<Inode> stack = new ArrayDeque<>();
    stack.push(top);
    java.util.Set<Inode> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    while (!stack.isEmpty()) {
      Inode n = stack.pop();
      if (!seen.add(n)) {
        continue; // a hard link's inode, already placed
      }
      order.add(n);
      if (n.children != null) {
        for (int i = n.children.size() - 1; i >= 0; i--) {
          stack.push(n.children.get(i).inode());
        }
      }
    }
    return order;
  }

  /** Assigns nids and data blocks; returns the first block after the image's data. */
  private static long layout(List<Inode> order) {
    for (int i = 0; i < order.size(); i++) {
      order.get(i).nid = (INODES_OFFSET + (long) i * INODE_SIZE) / SLOT;
    }
    long next = blocks(INODES_OFFSET + (long) order.size() * INODE_SIZE);
    for (Inode n : order) {
      if (n.type() == 0040000) {
        n.dirData = directory(n);
        n.size = n.dirData.length;
      }
      if (n.size > 0 && n.type() != 0020000 && n.type() != 0060000) {
        n.blkaddr = next;
        next += blocks(n.size);
      }
      if (next > 0xFFFFFFFFL) {
        throw new SandboxException("VM root is too large for an EROFS image with 4 KiB blocks (16 TiB)");
      }
    }
    return next;
  }

  private static long blocks(long bytes) {
    return (bytes + BLOCK - 1) / BLOCK;
  }

  /** The directory's data: blocks of dirents then names, each block's entries whole. */
  private static byte[] directory(Inode dir) {
    List<Entry> all = new ArrayList<>(dir.children.size() + 2);
    all.add(new Entry(new byte[] {'.'}, dir));
    all.add(new Entry(new byte[] {'.', '.'}, dir.parent));
    all.addAll(dir.children);
    all.sort((x, y) -> Arrays.compareUnsigned(x.name, y.name));
    List<byte[]> blocks = new ArrayList<>();
    int start = 0;
    int lastUsed = 0;
    while (start < all.size()) {
      int end = start;
      int used = 0;
      while (end < all.size() && used + DIRENT_SIZE + all.get(end).name.length <= BLOCK) {
        used += DIRENT_SIZE + all.get(end).name.length;
        end++;
      }
      // The rest of a block stays zero, as the kernel's lookup expects.
      ByteBuffer block = ByteBuffer.allocate(BLOCK).order(ByteOrder.LITTLE_ENDIAN);
      int nameoff = (end - start) * DIRENT_SIZE;
      for (int i = start; i < end; i++) {
        Entry e = all.get(i);
        block.putLong(e.inode.nid).putShort((short) nameoff).put(fileType(e.inode.type())).put((byte) 0);
        nameoff += e.name.length;
      }
      for (int i = start; i < end; i++) {
        block.put(all.get(i).name);
      }
      blocks.add(block.array());
      lastUsed = used;
      start = end;
    }
    byte[] data = new byte[(blocks.size() - 1) * BLOCK + lastUsed];
    for (int i = 0; i < blocks.size(); i++) {
      System.arraycopy(blocks.get(i), 0, data, i * BLOCK, i == blocks.size() - 1 ? lastUsed : BLOCK);
    }
    return data;
  }

  private static byte fileType(int type) {
    return switch (type) {
      case 0100000 -> 1;
      case 0040000 -> 2;
      case 0020000 -> 3;
      case 0060000 -> 4;
      case 0010000 -> 5;
      case 0140000 -> 6;
      case 0120000 -> 7;
      default -> 0;
    };
  }

  private static Written emit(List<Inode> order, long totalBlocks, FileChannel out) throws IOException {
    long fileBytes = 0;
    {
      ByteBuffer sb = ByteBuffer.allocate(SUPER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
      sb.putInt(0, MAGIC);
      sb.put(12, (byte) 12); // blkszbits
      sb.putShort(14, (short) order.get(0).nid);
      sb.putLong(16, order.size());
      sb.putInt(36, (int) totalBlocks);
      writeAt(out, sb, SUPER_OFFSET);

      ByteBuffer table = ByteBuffer.allocate(order.size() * INODE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < order.size(); i++) {
        Inode n = order.get(i);
        int at = i * INODE_SIZE;
        table.putShort(at, (short) 1); // extended inode, FLAT_PLAIN
        table.putShort(at + 4, (short) n.mode);
        table.putLong(at + 8, n.size);
        table.putInt(at + 16, (int) (n.type() == 0020000 || n.type() == 0060000 ? newEncodeDev(n.rdev) : n.blkaddr));
        table.putInt(at + 20, i + 1);
        table.putInt(at + 24, (int) n.uid);
        table.putInt(at + 28, (int) n.gid);
        table.putLong(at + 32, n.mtimeSeconds);
        table.putInt(at + 40, n.mtimeNanos);
        table.putInt(at + 44, n.nlink);
      }
      writeAt(out, table, INODES_OFFSET);

      for (Inode n : order) {
        long at = n.blkaddr * BLOCK;
        switch (n.type()) {
          case 0040000 -> writeAt(out, ByteBuffer.wrap(n.dirData), at);
          case 0120000 -> writeAt(out, ByteBuffer.wrap(n.link), at);
          case 0100000 -> {
            copy(n, out, at);
            fileBytes += n.size;
          }
          default -> { }
        }
      }
      long length = totalBlocks * BLOCK;
      if (out.size() < length) {
        writeAt(out, ByteBuffer.allocate(1), length - 1); // the last block whole: a block device's size
      }
      out.force(true);
      return new Written(length, order.size(), fileBytes);
    }
  }

  private static void copy(Inode n, FileChannel out, long at) throws IOException {
    if (n.size == 0) {
      return;
    }
    try (FileChannel in = FileChannel.open(n.path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      if (in.size() != n.size) {
        throw new SandboxException("VM root file " + n.path + " changed while the EROFS image was written");
      }
      out.position(at);
      long done = 0;
      while (done < n.size) {
        long k = in.transferTo(done, n.size - done, out);
        if (k <= 0) {
          throw new SandboxException("VM root file " + n.path + " shrank while the EROFS image was written");
        }
        done += k;
      }
    }
  }

  private static void writeAt(FileChannel out, ByteBuffer b, long at) throws IOException {
    b.clear();
    while (b.hasRemaining()) {
      at += out.write(b, at);
    }
  }

  /**
   * The kernel's {@code new_encode_dev} of a glibc {@code dev_t} (what {@code unix:rdev} reports).
   */
  static long newEncodeDev(long rdev) {
    long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
    long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
    return ((minor & 0xff) | (major << 8) | ((minor & ~0xffL) << 12)) & 0xFFFFFFFFL;
  }
}
