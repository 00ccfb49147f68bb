package dev.boxkit.sandbox.vm;

import dev.boxkit.oci.unpack.FileOwner;
import dev.boxkit.sandbox.SandboxException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

/**
 * Writes the guest's initramfs: an uncompressed cpio "newc" archive (the format the kernel
 * unpacks, see {@code Documentation/driver-api/early-userspace/buffer-format.rst}) holding the
 * agent as {@code /init}, the kernel modules it loads with their order in
 * {@code /boxkit/modules.order}, and the sandbox's root directory under {@code /rootfs} (an empty
 * {@code /rootfs} when the root comes on a disk instead, see {@link ErofsImage}).
 *
 * <p>BoxKit's own entries are reproducible (mtime 0, owner 0:0, fixed modes, sequential inode
 * numbers). Root entries keep their owner, group, mode and mtime as the host reports them, in
 * sorted order (owners an unprivileged unpack recorded but could not apply replace the host's); hard
 * links are stored as separate copies and extended attributes are dropped.
 */
final class Initramfs {
  private final CpioArchiveOutputStream cpio;
  private long inode = 1;

  private Initramfs(OutputStream out) {
    this.cpio = new CpioArchiveOutputStream(out, CpioConstants.FORMAT_NEW, 512, StandardCharsets.UTF_8.name());
  }

  /**
   * Writes an initramfs.
   *
   * @param out where the archive goes (not closed)
   * @param agent the static agent binary
   * @param modules kernel module files, in load order
   * @param root the tree packed as the guest's {@code /rootfs}; null for an empty {@code /rootfs}
   * @throws SandboxException when a file cannot be read or is of a type cpio cannot carry
   */
  static void write(OutputStream out, byte[] agent, List<Path> modules, GuestRoot root) {
    try {
      Initramfs w = new Initramfs(out);
      for (String dir : List.of("boxkit", "boxkit/modules", "dev", "proc", "sys")) {
        w.entry(dir, CpioConstants.C_ISDIR | 0755, 0, 0, 0, null);
      }
      CpioArchiveEntry console = w.header("dev/console", CpioConstants.C_ISCHR | 0600, 0, 0, 0, 0);
      console.setRemoteDeviceMaj(5);
      console.setRemoteDeviceMin(1);
      w.cpio.putArchiveEntry(console);
      w.cpio.closeArchiveEntry();
      w.entry("init", CpioConstants.C_ISREG | 0755, 0, 0, 0, agent);
      StringBuilder order = new StringBuilder();
      for (Path ko : modules) {
        String name = "boxkit/modules/" + ko.getFileName();
        w.entry(name, CpioConstants.C_ISREG | 0644, 0, 0, 0, KernelModules.unsigned(Files.readAllBytes(ko)));
        order.append('/').append(name).append('\n');
      }
      w.entry("boxkit/modules.order", CpioConstants.C_ISREG | 0644, 0, 0, 0,
          order.toString().getBytes(StandardCharsets.UTF_8));
      if (root == null) {
        w.entry("rootfs", CpioConstants.C_ISDIR | 0755, 0, 0, 0, null);
      } else {
        w.tree(root);
      }
      w.cpio.finish();
    } catch (IOException e) {
      throw new SandboxException("writing the VM initramfs: " + e.getMessage(), e);
    }
  }

  private CpioArchiveEntry header(String name, long mode, long uid, long gid, long mtimeSeconds, long size) {
    CpioArchiveEntry e = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, name);
    e.setMode(mode);
    e.setUID(uid);
    e.setGID(gid);
    e.setTime(mtimeSeconds);
    e.setInode(inode++);
    e.setNumberOfLinks((mode & CpioConstants.S_IFMT) == CpioConstants.C_ISDIR ? 2 : 1);
    e.setSize(size);
    return e;
  }

  private void entry(String name, long mode, long uid, long gid, long mtime, byte[] content)
      throws IOException {
    byte[] data = content == null ? new byte[0] : content;
    cpio.putArchiveEntry(header(name, mode, uid, gid, mtime, data.length));
    cpio.write(data);
    cpio.closeArchiveEntry();
  }

  /**
   * The name of the archive {@link #write} makes of these inputs: the SHA-256 of the agent's
   * bytes, each module's name and bytes, and the root's tree key, which changes whenever the tree
   * does (a metadata fingerprint or a layer chain id, see {@link RootDiskCache.Placement}), so
   * the root's files are not read. Equal keys mean equal archives.
   *
   * @param treeKey the root's tree key, null for an empty {@code /rootfs}
   * @return 64 lowercase hex digits
   * @throws SandboxException when a module cannot be read
   */
  static String key(byte[] agent, List<Path> modules, String treeKey) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      md.update(("boxkit-initramfs-3\0" + agent.length + "\0").getBytes(StandardCharsets.UTF_8));
      md.update(agent);
      for (Path ko : modules) {
        md.update(("\0module\0" + ko.getFileName() + "\0" + Files.size(ko) + "\0").getBytes(StandardCharsets.UTF_8));
        feed(md, ko, buf);
      }
      md.update((treeKey == null ? "\0empty-rootfs\0" : "\0root\0" + treeKey + "\0").getBytes(StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new SandboxException("hashing the VM initramfs inputs: " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  /**
   * The SHA-256 of a root's entries as {@link #write} packs them (name, type, mode, owner, mtime,
   * device number, link target, bytes, in archive order): the tree key of a root whose metadata
   * cannot be trusted to name it, because an entry changed within the file system's timestamp
   * granularity of now.
   *
   * @return 64 lowercase hex digits
   * @throws SandboxException when a file cannot be read
   */
  static String treeDigest(GuestRoot guestRoot) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      Path root = guestRoot.dir();
      for (Path p : entries(root)) {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,lastModifiedTime,rdev,size",
            LinkOption.NOFOLLOW_LINKS);
        long mode = ((Integer) a.get("mode")) & 0xFFFFL;
        long type = mode & CpioConstants.S_IFMT;
        String rel = root.relativize(p).toString();
        FileOwner o = guestRoot.owners().get(rel);
        StringBuilder h = new StringBuilder("\0entry\0").append(rel).append('\0').append(mode)
            .append(' ').append(o != null ? o.uid() : a.get("uid")).append(' ').append(o != null ? o.gid() : a.get("gid")).append(' ')
            .append(((FileTime) a.get("lastModifiedTime")).toMillis() / 1000).append(' ').append(a.get("rdev"))
            .append(' ').append(a.get("size")).append('\0');
        if (type == CpioConstants.C_ISLNK) {
          h.append(Files.readSymbolicLink(p)).append('\0');
        }
        md.update(h.toString().getBytes(StandardCharsets.UTF_8));
        if (type == CpioConstants.C_ISREG) {
          feed(md, p, buf);
        }
      }
      return java.util.HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new SandboxException("hashing the VM root " + guestRoot.dir() + ": " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  private static void feed(MessageDigest md, Path file, byte[] buf) throws IOException {
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
  }

  /** @return the root directory and everything under it, sorted by relative name (archive order) */
  private static List<Path> entries(Path root) throws IOException {
    if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
      throw new SandboxException("VM root " + root + " is not a directory");
    }
    List<Path> all = new ArrayList<>();
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
        all.add(dir);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        all.add(file);
        return FileVisitResult.CONTINUE;
      }
    });
    all.sort((a, b) -> root.relativize(a).toString().compareTo(root.relativize(b).toString()));
    return all;
  }

  private void tree(GuestRoot guestRoot) throws IOException {
    Path root = guestRoot.dir();
    for (Path p : entries(root)) {
      String rel = root.relativize(p).toString();
      String name = rel.isEmpty() ? "rootfs" : "rootfs/" + rel;
      Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,lastModifiedTime,rdev,size",
          LinkOption.NOFOLLOW_LINKS);
      long mode = ((Integer) a.get("mode")) & 0xFFFFL;
      FileOwner o = guestRoot.owners().get(rel);
      long uid = o != null ? o.uid() : ((Integer) a.get("uid")) & 0xFFFFFFFFL;
      long gid = o != null ? o.gid() : ((Integer) a.get("gid")) & 0xFFFFFFFFL;
      long mtime = Math.max(0, ((FileTime) a.get("lastModifiedTime")).toMillis() / 1000);
      long type = mode & CpioConstants.S_IFMT;
      if (type == CpioConstants.C_ISREG) {
        cpio.putArchiveEntry(header(name, mode, uid, gid, mtime, Files.size(p)));
        try (var in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
          in.transferTo(cpio);
        }
        cpio.closeArchiveEntry();
      } else if (type == CpioConstants.C_ISLNK) {
        byte[] target = Files.readSymbolicLink(p).toString().getBytes(StandardCharsets.UTF_8);
        entry(name, mode, uid, gid, mtime, target);
      } else if (type == CpioConstants.C_ISDIR || type == CpioConstants.C_ISFIFO) {
        entry(name, mode, uid, gid, mtime, null);
      } else if (type == CpioConstants.C_ISCHR || type == CpioConstants.C_ISBLK) {
        long rdev = ((Long) a.get("rdev"));
        CpioArchiveEntry e = header(name, mode, uid, gid, mtime, 0);
        e.setRemoteDeviceMaj((rdev >> 8) & 0xfff);
        e.setRemoteDeviceMin((rdev & 0xff) | ((rdev >> 12) & 0xfff00));
        cpio.putArchiveEntry(e);
        cpio.closeArchiveEntry();
      } else {
        throw new SandboxException("VM root entry " + p + " is a socket or of unknown type " + Long.toOctalString(type)
            + ": cpio cannot carry it");
      }
    }
  }
}
