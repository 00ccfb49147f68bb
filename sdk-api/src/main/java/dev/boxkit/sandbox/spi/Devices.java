package dev.boxkit.sandbox.spi;

import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.cdi.CdiName;
import dev.boxkit.sandbox.cdi.CdiRegistry;
import dev.boxkit.sandbox.cdi.CdiRequest;
import dev.boxkit.sandbox.cdi.CdiSpec;
import dev.boxkit.sandbox.cdi.InvalidCdiSpecException;
import dev.boxkit.sandbox.cdi.NvidiaDiscovery;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Devices of a spec, made concrete when a sandbox is launched: {@link Mount.Device} nodes are
 * checked, and the CDI devices of {@link SandboxSpec#devices()} are turned into mounts and
 * variables (CDI {@code SPEC.md}, "OCI Edits"). For providers: a backend that supports devices
 * calls {@link #resolve(SandboxSpec)} before anything else; one that does not refuses {@link
 * Mount.Device} and CDI devices with an {@link InvalidSandboxSpecException} for {@code devices}.
 */
public final class Devices {
  private Devices() {}

  private static final int S_IFMT = 0170000;
  private static final int S_IFCHR = 0020000;
  private static final int S_IFBLK = 0060000;

  /** Mount options of a CDI bind mount that BoxKit honours (its binds are private, nosuid, nodev). */
  private static final Set<String> BIND_OPTIONS = Set.of("bind", "rbind", "ro", "rw", "nosuid", "nodev",
      "private", "rprivate", "slave", "rslave");

  /**
   * What {@code stat} says of a device node.
   *
   * @param block whether it is a block device (else a character device)
   * @param major its major number
   * @param minor its minor number
   * @param mode its permission bits, {@code 07777}
   */
  public record Node(boolean block, long major, long minor, int mode) {}

  /**
   * Checks the spec's device nodes and applies its CDI devices, reading the specs in {@link
   * CdiRequest#specDirs()} and, for {@link NvidiaDiscovery#KIND} without a spec, discovering the
   * host's GPUs.
   *
   * @param spec the spec to launch
   * @return {@code spec} itself when it has no CDI device, else a copy with the devices' nodes and
   *     mounts appended to its mounts, their variables set, and {@link CdiRequest#NONE}
   * @throws InvalidCdiSpecException naming the spec file and field that cannot be applied
   * @throws InvalidSandboxSpecException naming {@code mount.source} for a bad {@link
   *     Mount.Device}, or {@code devices} for an unknown kind or device
   */
  public static SandboxSpec resolve(SandboxSpec spec) {
    return resolve(spec, () -> CdiRegistry.load(spec.devices().specDirs()), NvidiaDiscovery::discoverHost);
  }

  /**
   * As {@link #resolve(SandboxSpec)}, with the specs and the NVIDIA discovery given.
   *
   * @param spec the spec to launch
   * @param registry gives the CDI specs; called only when the spec has CDI devices
   * @param nvidia the stand-in spec for {@link NvidiaDiscovery#KIND}; called only when a device
   *     of that kind is requested and no spec declares it
   * @return as {@link #resolve(SandboxSpec)}
   */
  public static SandboxSpec resolve(SandboxSpec spec, Supplier<CdiRegistry> registry,
      Supplier<Optional<CdiSpec>> nvidia) {
    for (Mount m : spec.mounts()) {
      if (m instanceof Mount.Device d) {
        checkNode("mount.source", d.source(), d.writable());
      }
    }
    CdiRequest request = spec.devices();
    if (request.isEmpty()) {
      return spec;
    }
    CdiRegistry r = registry.get();
    boolean wantsNvidia = request.devices().stream().map(CdiName::kind).anyMatch(NvidiaDiscovery.KIND::equals);
    if (wantsNvidia && !r.hasKind(NvidiaDiscovery.KIND)) {
      Optional<CdiSpec> found = nvidia.get();
      if (found.isEmpty()) {
        throw new InvalidSandboxSpecException("devices", NvidiaDiscovery.KIND + ": no CDI spec in "
            + request.specDirs() + " declares it, and this host has no /dev/nvidiaN node");
      }
      r = r.with(found.get());
    }
    boolean hostRoot = spec.root() instanceof Rootfs.HostReadOnly;
    Map<String, String> env = new LinkedHashMap<>(spec.env());
    Map<String, Mount> nodes = new LinkedHashMap<>();
    Map<String, Mount> binds = new LinkedHashMap<>();
    for (CdiRegistry.Edits e : r.edits(request.devices())) {
      String origin = e.spec().origin();
      CdiSpec.ContainerEdits edits = e.edits();
      if (!edits.hooks().isEmpty() && !request.skipHooks()) {
        CdiSpec.Hook h = edits.hooks().get(0);
        throw new InvalidCdiSpecException(origin, e.field() + ".hooks[0]", "hook " + h.hookName()
            + " would run " + h.path() + " on the host; BoxKit does not run CDI hooks (skipCdiHooks()"
            + " applies the device without them)");
      }
      for (String kv : edits.env()) {
        int eq = kv.indexOf('=');
        env.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
      for (int i = 0; i < edits.deviceNodes().size(); i++) {
        String f = e.field() + ".deviceNodes[" + i + "]";
        Mount.Device d = deviceNode(origin, f, edits.deviceNodes().get(i));
        add(nodes, d, origin, f);
      }
      for (int i = 0; i < edits.mounts().size(); i++) {
        String f = e.field() + ".mounts[" + i + "]";
        Mount.Bind b = bind(origin, f, edits.mounts().get(i));
        if (!(hostRoot && sameFile(Path.of(b.destination()), b.source()))) {
          add(binds, b, origin, f);
        }
      }
    }
    List<Mount> mounts = new ArrayList<>(spec.mounts());
    for (Mount m : nodes.values()) {
      if (!mounts.contains(m)) {
        mounts.add(m);
      }
    }
    // Parents before children, as CDI's reference implementation orders mounts.
    binds.values().stream()
        .sorted(Comparator.comparingInt(m -> m.destination().split("/").length))
        .filter(m -> !mounts.contains(m))
        .forEach(mounts::add);
    return spec.toBuilder().mounts(mounts).env(env).devices(CdiRequest.NONE).build();
  }

  private static void add(Map<String, Mount> into, Mount m, String origin, String field) {
    Mount before = into.putIfAbsent(m.destination(), m);
    if (before != null && !before.equals(m)) {
      throw new InvalidCdiSpecException(origin, field, m.destination() + " is already given "
          + before + " by another device");
    }
  }

  private static Mount.Device deviceNode(String origin, String f, CdiSpec.DeviceNode n) {
    if (n.uid() != null || n.gid() != null) {
      throw new InvalidCdiSpecException(origin, f + (n.uid() != null ? ".uid" : ".gid"), "BoxKit"
          + " binds the host's own node and cannot give it another owner");
    }
    Path host = Path.of(n.effectiveHostPath());
    String hostField = f + (n.hostPath() != null ? ".hostPath" : ".path");
    Node node;
    try {
      node = checkNode(hostField, host, true);
    } catch (InvalidSandboxSpecException ex) {
      throw new InvalidCdiSpecException(origin, hostField, reason(ex));
    }
    if (!n.writable() && (node.mode() & 0222) != 0) {
      throw new InvalidCdiSpecException(origin, f + ".permissions", String.format("\"%s\" without w,"
          + " but %s has mode 0%o: a read-only mount does not stop writes to a device and BoxKit sets"
          + " no device cgroup, so only a node with no write bit is granted read-only",
          n.permissions(), host, node.mode()));
    }
    if (n.type() != null && n.type().equals("b") != node.block()) {
      throw new InvalidCdiSpecException(origin, f + ".type", "\"" + n.type() + "\" but " + host + " is a "
          + (node.block() ? "block" : "character") + " device");
    }
    if (n.major() != null && n.major() != node.major() || n.minor() != null && n.minor() != node.minor()) {
      throw new InvalidCdiSpecException(origin, f + (n.major() != null && n.major() != node.major()
          ? ".major" : ".minor"), n.major() + ":" + n.minor() + " but " + host + " is "
          + node.major() + ":" + node.minor());
    }
    if (n.fileMode() != null && (n.fileMode() & 07777) != node.mode()) {
      throw new InvalidCdiSpecException(origin, f + ".fileMode", String.format("0%o but %s has mode"
          + " 0%o, which BoxKit cannot change (it binds the host's node)", n.fileMode() & 07777, host, node.mode()));
    }
    return new Mount.Device(host, n.path(), n.writable());
  }

  private static Mount.Bind bind(String origin, String f, CdiSpec.MountEdit m) {
    List<String> options = m.options();
    boolean bind = options.contains("bind") || options.contains("rbind");
    if (m.type() != null && !m.type().equals("bind") && !m.type().equals("rbind")
        && !(m.type().equals("none") && bind)) {
      throw new InvalidCdiSpecException(origin, f + ".type", "\"" + m.type() + "\": BoxKit applies"
          + " bind mounts only");
    }
    for (int j = 0; j < options.size(); j++) {
      if (!BIND_OPTIONS.contains(options.get(j))) {
        throw new InvalidCdiSpecException(origin, f + ".options[" + j + "]", "\"" + options.get(j)
            + "\" is not an option BoxKit can honour (" + String.join(", ", new java.util.TreeSet<>(BIND_OPTIONS)) + ")");
      }
    }
    Path host = Path.of(m.hostPath());
    Optional<Path> link = HostPaths.firstLink(host);
    if (link.isPresent()) {
      throw new InvalidCdiSpecException(origin, f + ".hostPath", "\"" + host + "\": component \""
          + link.get() + "\" is a symbolic link; BoxKit never follows links in host paths");
    }
    if (!Files.exists(host, LinkOption.NOFOLLOW_LINKS)) {
      throw new InvalidCdiSpecException(origin, f + ".hostPath", "\"" + host + "\" does not exist");
    }
    // Read-only unless the spec says rw: a device's libraries have no business being written.
    boolean writable = options.contains("rw") && !options.contains("ro");
    return new Mount.Bind(host, m.containerPath(), writable);
  }

  private static boolean sameFile(Path inside, Path host) {
    try {
      return Files.isSameFile(inside, host);
    } catch (IOException e) {
      return false;
    }
  }

  /** The reason part of an {@link InvalidSandboxSpecException}'s message. */
  private static String reason(InvalidSandboxSpecException e) {
    String prefix = "invalid sandbox spec field " + e.field() + ": ";
    String m = e.getMessage();
    return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
  }

  /**
   * Checks a host device node for a sandbox: no symbolic link in its path, a character or block
   * device, and, when {@code writable} is false, no write bit in its mode (a read-only mount does
   * not stop writes to a device, and there is no device cgroup to stop them).
   *
   * @param field the spec field the path came from, e.g. {@code mount.source}
   * @param node absolute normalised host path
   * @param writable whether the sandbox may write to the device
   * @return what {@code stat} says of the node
   * @throws InvalidSandboxSpecException naming {@code field} and quoting the path and what is
   *     wrong with it
   */
  public static Node checkNode(String field, Path node, boolean writable) {
    HostPaths.requireNoLinks(field, node);
    Map<String, Object> a;
    try {
      a = Files.readAttributes(node, "unix:mode,rdev", LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw new InvalidSandboxSpecException(field, "\"" + node + "\" does not exist");
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      throw new InvalidSandboxSpecException(field, "\"" + node + "\" cannot be read: " + e);
    }
    int mode = (Integer) a.get("mode");
    int type = mode & S_IFMT;
    if (type != S_IFCHR && type != S_IFBLK) {
      throw new InvalidSandboxSpecException(field, "\"" + node + "\" is not a character or block"
          + " device (it is a " + (type == 0040000 ? "directory" : type == 0100000 ? "regular file"
          : type == 0010000 ? "FIFO" : type == 0140000 ? "socket" : "file of type 0" + Integer.toOctalString(type))
          + ")");
    }
    if (!writable && (mode & 0222) != 0) {
      throw new InvalidSandboxSpecException(field, String.format("\"%s\" is asked for read-only but"
          + " its mode 0%o lets some user write to it: a read-only mount does not stop writes to a"
          + " device and BoxKit sets no device cgroup, so only a node with no write bit is granted"
          + " read-only", node, mode & 07777));
    }
    long rdev = (Long) a.get("rdev");
    // glibc's gnu_dev_major/minor.
    long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & 0xfffff000L);
    long minor = (rdev & 0xff) | ((rdev >>> 12) & 0xffffff00L);
    return new Node(type == S_IFBLK, major, minor, mode & 07777);
  }
}
