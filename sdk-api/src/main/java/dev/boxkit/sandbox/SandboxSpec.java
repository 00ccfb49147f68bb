package dev.boxkit.sandbox;

import dev.boxkit.image.Image;
import dev.boxkit.oci.ContainerConfig;
import dev.boxkit.sandbox.cdi.CdiName;
import dev.boxkit.sandbox.cdi.CdiRegistry;
import dev.boxkit.sandbox.cdi.CdiRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Everything a sandbox is given; nothing else of the host is visible to it. Build one with
 * {@link #builder()}; every field is checked when set and again here.
 *
 * @param root the root filesystem; default {@link Rootfs#hostReadOnly()}
 * @param argv the program and its arguments, not empty; a program name without {@code /} is
 *     looked up on the sandbox's {@code PATH} (or {@code /bin:/usr/bin} when none is given)
 * @param env the program's whole environment; default empty (nothing is inherited)
 * @param workingDir absolute path inside the sandbox; default {@code /}, or the image's WorkingDir
 * @param uid user id inside the sandbox, 0..4294967294 (0..65535 for a root JVM without
 *     {@code hostIdentityMapping}); default 0, or the image's User (see {@link Builder#image});
 *     0 until the provider resolves {@link #userName()} when that is set
 * @param gid group id inside the sandbox; default 0; as {@code uid} when {@link #userName()}
 *     is set
 * @param hostname host name inside the sandbox (its own UTS namespace); default {@code sandbox}
 * @param mounts mounts applied in order after the root; default {@link Mount#proc()} then
 *     {@link Mount#devMinimal()}
 * @param network default {@link NetworkMode#NONE}
 * @param limits default {@link ResourceLimits#NONE}
 * @param stdin default {@link Stdio#discard()}
 * @param stdout default {@link Stdio#pipe()}
 * @param stderr default {@link Stdio#pipe()}
 * @param captureLimitBytes most bytes of stdout and of stderr kept by {@link Sandbox#run}, the
 *     rest is read and dropped; default 16 MiB
 * @param dieWithParent whether the sandbox is killed when the JVM dies; default true
 * @param hostIdentityMapping whether, when the JVM runs as root, ids inside the sandbox are the
 *     host's own (inside uid 0 is host uid 0). Default false: a root JVM maps the sandbox's ids
 *     0..65535 to an unprivileged host range (on Linux host 1879048192 + id, i.e. {@code
 *     0x70000000} + id), so host files owned by root (for example {@code /etc/shadow} under
 *     {@link Rootfs#hostReadOnly()}) are out of the sandbox's reach, while read-only trees the
 *     spec names (a directory or image root, bind sources) are shown with their real owners
 *     through idmapped mounts, and a writable bind or directory root is shown with its owner as
 *     the program's own uid and gid, so what the program writes there is that owner's, never the
 *     host root's (a writable tree the host's root owns is refused). True is weaker: the
 *     sandbox's root is the host's root for every file it can reach, what it writes is root's,
 *     and uid/gid may then be above 65535. No file it writes into a host tree can be setuid or
 *     setgid either way. Without root (one-id maps) it changes nothing.
 * @param isolation the kind of boundary wanted; default {@link Isolation#AUTO}
 * @param ports published TCP ports (host 127.0.0.1 to the sandbox's own loopback); default none;
 *     only with {@link NetworkMode#NONE}, each sandbox port and each fixed host port at most once
 * @param sharedNetwork the network this sandbox joins as {@link #hostname()}, or null (the
 *     default) for a network namespace of its own; only with {@link NetworkMode#NONE}
 * @param egress where the program may connect out: {@link EgressPolicy#denyAll()} (the
 *     default) or an allow-list enforced by a proxy outside the sandbox (see {@link
 *     Builder#egress(EgressPolicy)}); an allow-list needs {@link NetworkMode#NONE} and no shared
 *     network
 * @param egressListener called (on a BoxKit thread) with each refused connection attempt, or
 *     null; the attempts are also in {@link ExecResult#egressDenied()}
 * @param devices CDI devices to give the sandbox (see {@link Builder#device(String)}); default
 *     {@link CdiRequest#NONE}. Resolved by the provider when the sandbox is launched; host
 *     device nodes named directly are {@link Mount.Device} mounts instead
 * @param userName the user as given by name ({@code user[:group]}, or a uid without a group,
 *     whose primary group is looked up), resolved through the root's {@code /etc/passwd} and
 *     {@code /etc/group} when the sandbox is launched ({@link #withUserResolved()}), so building
 *     a spec reads no file; null when {@code uid} and {@code gid} are final
 */
public record SandboxSpec(
    Rootfs root, List<String> argv, Map<String, String> env, String workingDir, long uid, long gid,
    String hostname, List<Mount> mounts, NetworkMode network, ResourceLimits limits, Stdio stdin,
    Stdio stdout, Stdio stderr, long captureLimitBytes, boolean dieWithParent,
    boolean hostIdentityMapping, Isolation isolation, List<PortMapping> ports,
    SandboxNetwork sharedNetwork, EgressPolicy egress,
    java.util.function.Consumer<EgressEvent> egressListener, CdiRequest devices, String userName) {

  /**
   * The {@code PATH} an image root gets when its configuration sets none, as {@code docker run}
   * gives it; a spec without an image sets only what it is told.
   */
  public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  /** Default for {@link #captureLimitBytes()}: 16 MiB. */
  public static final long DEFAULT_CAPTURE_LIMIT_BYTES = 16L << 20;

  private static final long MAX_ID = 0xFFFF_FFFEL;

  private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.-]*");

  /** A {@code user} given as {@code uid:gid}, final without reading the root's files. */
  private static final Pattern NUMERIC_USER = Pattern.compile("[0-9]+:[0-9]+");

  /** @throws InvalidSandboxSpecException naming the first bad field */
  public SandboxSpec {
    SandboxPaths.nonNull("root", root);
    argv = List.copyOf(SandboxPaths.nonNull("argv", argv));
    if (argv.isEmpty()) {
      throw new InvalidSandboxSpecException("argv", "must name a program");
    }
    for (int i = 0; i < argv.size(); i++) {
      if (argv.get(i).indexOf('\0') >= 0) {
        throw new InvalidSandboxSpecException("argv[" + i + "]", "contains NUL");
      }
    }
    if (argv.get(0).isEmpty()) {
      throw new InvalidSandboxSpecException("argv[0]", "is empty");
    }
    env = copyEnv(SandboxPaths.nonNull("env", env));
    SandboxPaths.inside("workingDir", workingDir);
    checkId("uid", uid);
    checkId("gid", gid);
    checkHostname(SandboxPaths.nonNull("hostname", hostname));
    mounts = List.copyOf(SandboxPaths.nonNull("mounts", mounts));
    SandboxPaths.nonNull("network", network);
    SandboxPaths.nonNull("limits", limits);
    SandboxPaths.nonNull("stdin", stdin);
    SandboxPaths.nonNull("stdout", stdout);
    SandboxPaths.nonNull("stderr", stderr);
    SandboxPaths.nonNull("isolation", isolation);
    ports = List.copyOf(SandboxPaths.nonNull("ports", ports));
    checkPorts(ports, network);
    SandboxPaths.nonNull("egress", egress);
    if (!egress.isDenyAll() && (network != NetworkMode.NONE || sharedNetwork != null)) {
      throw new InvalidSandboxSpecException("egress", "an allow-list needs NetworkMode.NONE and no"
          + " shared network (the sandbox's only way out is BoxKit's proxy); got " + network
          + (sharedNetwork != null ? " with " + sharedNetwork : ""));
    }
    if (sharedNetwork != null && network != NetworkMode.NONE) {
      throw new InvalidSandboxSpecException("network", "a shared network needs NetworkMode.NONE, not " + network);
    }
    SandboxPaths.nonNull("devices", devices);
    if (captureLimitBytes < 0 || captureLimitBytes > Integer.MAX_VALUE - 8) {
      throw new InvalidSandboxSpecException("captureLimitBytes", captureLimitBytes + " is outside [0, 2^31-9]");
    }
  }

  private static Map<String, String> copyEnv(Map<String, String> env) {
    Map<String, String> copy = new LinkedHashMap<>();
    env.forEach((k, v) -> {
      if (k == null || k.isEmpty() || k.indexOf('=') >= 0 || k.indexOf('\0') >= 0) {
        throw new InvalidSandboxSpecException("env", "bad variable name \"" + k + "\"");
      }
      if (v == null || v.indexOf('\0') >= 0) {
        throw new InvalidSandboxSpecException("env[" + k + "]", "null or contains NUL");
      }
      copy.put(k, v);
    });
    return java.util.Collections.unmodifiableMap(copy);
  }

  private static void checkPorts(List<PortMapping> ports, NetworkMode network) {
    if (!ports.isEmpty() && network != NetworkMode.NONE) {
      throw new InvalidSandboxSpecException("ports", "publishing needs NetworkMode.NONE; with "
          + network + " the program's ports are the host's own");
    }
    java.util.Set<Integer> inside = new java.util.HashSet<>();
    java.util.Set<Integer> host = new java.util.HashSet<>();
    for (PortMapping p : ports) {
      if (!inside.add(p.sandboxPort())) {
        throw new InvalidSandboxSpecException("ports", "sandbox port " + p.sandboxPort() + " is published twice");
      }
      if (p.hostPort() != 0 && !host.add(p.hostPort())) {
        throw new InvalidSandboxSpecException("ports", "host port " + p.hostPort() + " is published twice");
      }
    }
  }

  private static void checkId(String field, long id) {
    if (id < 0 || id > MAX_ID) {
      throw new InvalidSandboxSpecException(field, id + " is outside [0, 4294967294]");
    }
  }

  private static void checkHostname(String hostname) {
    if (hostname.isEmpty() || hostname.length() > 64 || !HOSTNAME.matcher(hostname).matches()) {
      throw new InvalidSandboxSpecException("hostname",
          "\"" + hostname + "\" is not 1-64 letters, digits, '.' or '-'");
    }
  }

  /** @return a builder with the defaults listed on this record */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * For providers, at launch: this spec with {@link #userName()} resolved to {@code uid} and
   * {@code gid} through the root's {@code /etc/passwd} and {@code /etc/group} (the image's
   * unpacked tree, from the rootfs cache, for an image root; the directory for a directory root;
   * the host's for the host root), never following a symbolic link ({@code passwd(5)}, {@code
   * group(5)}); this spec itself when there is nothing to resolve.
   *
   * @throws InvalidSandboxSpecException naming {@code user} when a name is not listed
   * @throws SandboxSetupException at step {@code unpack} when an image root cannot be unpacked
   */
  public SandboxSpec withUserResolved() {
    if (userName == null) {
      return this;
    }
    Path tree;
    if (root instanceof Rootfs.FromImage fi) {
      tree = fi.unpack().rootfs();
    } else if (root instanceof Rootfs.Directory d) {
      tree = d.path();
    } else {
      tree = Path.of("/");
    }
    UserResolver.Ids ids = UserResolver.resolve(userName, tree);
    return new SandboxSpec(root, argv, env, workingDir, ids.uid(), ids.gid(), hostname, mounts, network,
        limits, stdin, stdout, stderr, captureLimitBytes, dieWithParent, hostIdentityMapping, isolation,
        ports, sharedNetwork, egress, egressListener, devices, null);
  }

  /**
   * This spec with a pooled run's fields ({@link SandboxPool#PER_RUN_FIELDS}) replaced and every
   * other field kept: what a pool implementation builds once per run, in one record construction
   * (no builder).
   *
   * @param argv the program and its arguments, not empty
   * @param env the whole environment, replacing this spec's
   * @param stdin the run's standard input
   * @param limits the run's limits (a pool takes only its timeout from them)
   * @return the new spec
   * @throws InvalidSandboxSpecException naming the first bad field, as the canonical constructor
   */
  public SandboxSpec withRunFields(List<String> argv, Map<String, String> env, Stdio stdin, ResourceLimits limits) {
    return new SandboxSpec(root, argv, env, workingDir, uid, gid, hostname, mounts, network, limits, stdin,
        stdout, stderr, captureLimitBytes, dieWithParent, hostIdentityMapping, isolation, ports, sharedNetwork,
        egress, egressListener, devices, userName);
  }

  /** @return a builder holding this spec's values */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.root = root;
    b.argv = argv;
    b.env = new LinkedHashMap<>(env);
    b.workingDir = workingDir;
    b.user = userName != null ? userName : uid + ":" + gid;
    b.hostname = hostname;
    b.mounts = new ArrayList<>(mounts);
    b.network = network;
    b.limits = limits;
    b.stdin = stdin;
    b.stdout = stdout;
    b.stderr = stderr;
    b.captureLimitBytes = captureLimitBytes;
    b.dieWithParent = dieWithParent;
    b.hostIdentityMapping = hostIdentityMapping;
    b.isolation = isolation;
    b.ports = new ArrayList<>(ports);
    b.sharedNetwork = sharedNetwork;
    b.egress = egress;
    b.egressListener = egressListener;
    b.cdiDevices = new ArrayList<>(devices.devices());
    b.cdiSpecDirs = devices.specDirs();
    b.skipCdiHooks = devices.skipHooks();
    return b;
  }

  /**
   * Builds a {@link SandboxSpec}. Setters reject bad values at once with {@link
   * InvalidSandboxSpecException}; {@link #run()} and {@link #start()} are shortcuts for {@link
   * Sandbox#run}/{@link Sandbox#start} of {@link #build()}.
   *
   * <p>With {@link #image(Image)}, the image's configuration gives the defaults that this
   * builder's setters override, in any call order (see {@link #image(Image)}).
   */
  public static final class Builder {
    private Rootfs root = Rootfs.hostReadOnly();
    /** The configuration applied at {@link #build()}; null when no image was given. */
    private ContainerConfig imageConfig;
    private List<String> entrypoint;
    private List<String> argv;
    private Map<String, String> env = new LinkedHashMap<>();
    private boolean envReplaced;
    private String workingDir;
    private String user;
    private String hostname = "sandbox";
    private List<Mount> mounts = new ArrayList<>(List.of(Mount.proc(), Mount.devMinimal()));
    private NetworkMode network = NetworkMode.NONE;
    private ResourceLimits limits = ResourceLimits.NONE;
    private Stdio stdin = Stdio.discard();
    private Stdio stdout = Stdio.pipe();
    private Stdio stderr = Stdio.pipe();
    private long captureLimitBytes = DEFAULT_CAPTURE_LIMIT_BYTES;
    private boolean dieWithParent = true;
    private boolean hostIdentityMapping;
    private Isolation isolation = Isolation.AUTO;
    private List<PortMapping> ports = new ArrayList<>();
    private SandboxNetwork sharedNetwork;
    private EgressPolicy egress = EgressPolicy.denyAll();
    private java.util.function.Consumer<EgressEvent> egressListener;
    private List<CdiName> cdiDevices = new ArrayList<>();
    private List<Path> cdiSpecDirs = CdiRegistry.DEFAULT_SPEC_DIRS;
    private boolean skipCdiHooks;

    private Builder() {}

    /** @param root the root filesystem */
    public Builder root(Rootfs root) {
      this.root = SandboxPaths.nonNull("root", root);
      return this;
    }

    /**
     * Runs in {@code image}: its root filesystem becomes the root ({@link Rootfs#image(Image)},
     * writable, writes discarded at the end) and its configuration (image-spec {@code config.md})
     * gives the defaults, as {@code docker run} applies them:
     * <ul>
     *   <li>argv = Entrypoint + Cmd. {@link #command} / {@link #argv} replace Cmd only, so with an
     *       Entrypoint they are its arguments; {@link #entrypoint} replaces the Entrypoint and
     *       drops the image's Cmd (as {@code docker run --entrypoint} does), so {@code
     *       entrypoint()} with no arguments makes {@link #command} the whole argv.
     *   <li>Env is the base environment, with {@link SandboxSpec#DEFAULT_PATH} when it sets no
     *       {@code PATH}; {@link #env(String, String)} adds or overrides a variable; {@link
     *       #env(Map)} replaces the whole environment, the image's and the default included.
     *   <li>WorkingDir unless {@link #workingDir} is set; {@code /} when neither is.
     *   <li>User unless {@link #user} is set: names are resolved through the image's {@code
     *       /etc/passwd} and {@code /etc/group} when the sandbox is launched (building reads no
     *       file); a user without group gets its primary group.
     * </ul>
     * A later {@link #root(Rootfs)} replaces the root but keeps the configuration.
     *
     * @param image the image to run
     */
    public Builder image(Image image) {
      SandboxPaths.nonNull("image", image);
      this.root = Rootfs.image(image);
      this.imageConfig = image.config().config();
      return this;
    }

    /**
     * Replaces the image's Entrypoint (and drops the image's Cmd); without an image this is a
     * prefix of {@link #command}.
     *
     * @param entrypoint the argv prefix; none to run {@link #command} as the whole argv
     */
    public Builder entrypoint(String... entrypoint) {
      this.entrypoint = List.of(SandboxPaths.nonNull("entrypoint", entrypoint));
      return this;
    }

    /**
     * @param argv the program and its arguments; with an image, the arguments replacing its Cmd
     *     (see {@link #image(Image)})
     */
    public Builder command(String... argv) {
      return argv(List.of(SandboxPaths.nonNull("argv", argv)));
    }

    /**
     * @param argv the program and its arguments; with an image, the arguments replacing its Cmd
     *     (see {@link #image(Image)})
     */
    public Builder argv(List<String> argv) {
      this.argv = List.copyOf(SandboxPaths.nonNull("argv", argv));
      return this;
    }

    /**
     * @param name variable name (no {@code =})
     * @param value its value
     */
    public Builder env(String name, String value) {
      copyEnv(Map.of(SandboxPaths.nonNull("env", name), SandboxPaths.nonNull("env[" + name + "]", value)));
      env.put(name, value);
      return this;
    }

    /** @param env the whole environment, replacing what was set and an image's Env */
    public Builder env(Map<String, String> env) {
      this.env = new LinkedHashMap<>(copyEnv(SandboxPaths.nonNull("env", env)));
      this.envReplaced = true;
      return this;
    }

    /** @param dir absolute path inside the sandbox */
    public Builder workingDir(String dir) {
      this.workingDir = SandboxPaths.inside("workingDir", dir);
      return this;
    }

    /**
     * @param uid user id inside the sandbox
     * @param gid group id inside the sandbox
     */
    public Builder user(long uid, long gid) {
      checkId("uid", uid);
      checkId("gid", gid);
      this.user = uid + ":" + gid;
      return this;
    }

    /**
     * Sets the user as an image configuration names it: {@code uid[:gid]} by number, or
     * {@code user[:group]} by name, resolved when the sandbox is launched through the root's {@code
     * /etc/passwd} and {@code /etc/group} (the image's tree for an image root, the directory for
     * a directory root, the host's for the host root), never following a symbolic link. Without a
     * group, the user's primary group (0 for a uid not listed).
     *
     * @param user e.g. {@code "1000"}, {@code "1000:100"}, {@code "nobody"}, {@code "app:staff"}
     * @throws InvalidSandboxSpecException naming {@code user} at once when malformed; at launch
     *     ({@link Sandbox#run}, {@link Sandbox#start}) when a name is not listed
     */
    public Builder user(String user) {
      SandboxPaths.nonNull("user", user);
      if (user.isEmpty() || user.indexOf('\0') >= 0 || user.chars().filter(c -> c == ':').count() > 1) {
        throw new InvalidSandboxSpecException("user", "\"" + user + "\" is not user[:group]");
      }
      this.user = user;
      return this;
    }

    /** @param hostname 1-64 letters, digits, dots or dashes */
    public Builder hostname(String hostname) {
      checkHostname(SandboxPaths.nonNull("hostname", hostname));
      this.hostname = hostname;
      return this;
    }

    /** @param mount appended to the mounts */
    public Builder mount(Mount mount) {
      mounts.add(SandboxPaths.nonNull("mounts", mount));
      return this;
    }

    /**
     * @param mounts replaces every mount, including the default proc and dev (with {@link
     *     Rootfs#hostReadOnly()}, a {@code /proc} or {@code /dev} left out is an empty
     *     read-only directory, never the host's)
     */
    public Builder mounts(List<Mount> mounts) {
      this.mounts = new ArrayList<>(List.copyOf(SandboxPaths.nonNull("mounts", mounts)));
      return this;
    }

    /**
     * @param network the network mode; {@link NetworkMode#HOST} also leaves a shared network
     *     given before
     */
    public Builder network(NetworkMode network) {
      this.network = SandboxPaths.nonNull("network", network);
      if (network != NetworkMode.NONE) {
        this.sharedNetwork = null;
      }
      return this;
    }

    /**
     * Joins {@code network} as {@link #hostname(String)}: the members reach each other by name
     * and nothing else (see {@link SandboxNetwork}). Sets {@link NetworkMode#NONE}.
     *
     * @param network an open network
     * @throws InvalidSandboxSpecException naming {@code network} when it is closed
     */
    public Builder network(SandboxNetwork network) {
      SandboxPaths.nonNull("network", network);
      if (network.isClosed()) {
        throw new InvalidSandboxSpecException("network", network + " is closed");
      }
      this.sharedNetwork = network;
      this.network = NetworkMode.NONE;
      return this;
    }

    /**
     * Publishes {@code sandboxPort} on a free port of the host's {@code 127.0.0.1}, read with
     * {@link SandboxProcess#mappedPort(int)} once the sandbox started (see {@link PortMapping}).
     *
     * @param sandboxPort 1..65535
     * @throws InvalidSandboxSpecException naming {@code ports} when out of range
     */
    public Builder publish(int sandboxPort) {
      return publish(0, sandboxPort);
    }

    /**
     * Publishes {@code sandboxPort} on {@code 127.0.0.1:hostPort} of the host. A host port in use
     * fails the start with a {@link SandboxSetupException} for step {@code publish} naming it.
     *
     * @param hostPort 1..65535, or 0 for a free one
     * @param sandboxPort 1..65535
     * @throws InvalidSandboxSpecException naming {@code ports} when out of range
     */
    public Builder publish(int hostPort, int sandboxPort) {
      ports.add(new PortMapping(hostPort, sandboxPort));
      return this;
    }

    /** @param ports replaces every published port; empty for none */
    public Builder ports(List<PortMapping> ports) {
      this.ports = new ArrayList<>(List.copyOf(SandboxPaths.nonNull("ports", ports)));
      return this;
    }

    /**
     * Lets the program connect to the destinations {@code policy} allows, and nowhere else.
     * The sandbox keeps its own network namespace with no route out; a proxy BoxKit runs on the
     * host (outside the sandbox, so nothing inside can change it) is reachable inside at {@code
     * 127.0.0.1:3128}, and {@code HTTP_PROXY}, {@code HTTPS_PROXY}, {@code http_proxy}, {@code
     * https_proxy}, {@code NO_PROXY} and {@code JAVA_TOOL_OPTIONS} (the {@code http.proxyHost}
     * family) are set for the program unless the spec sets them. The proxy resolves names
     * itself (no DNS from inside) and applies {@link EgressPolicy}'s rules; every refusal is an
     * {@link EgressEvent}. Only HTTP and HTTPS (CONNECT) go through it: other protocols have no
     * route out.
     *
     * @param policy an allow-list, or {@link EgressPolicy#denyAll()} (the default)
     */
    public Builder egress(EgressPolicy policy) {
      this.egress = SandboxPaths.nonNull("egress", policy);
      return this;
    }

    /**
     * @param listener called on a BoxKit thread with each connection attempt the egress proxy
     *     refused; must not block; null for none
     */
    public Builder onEgressDenied(java.util.function.Consumer<EgressEvent> listener) {
      this.egressListener = listener;
      return this;
    }

    /**
     * Gives the sandbox a device described by a CDI spec (CDI {@code SPEC.md}): when the sandbox
     * is launched, the provider reads the specs in {@link #cdiSpecDirs} (small JSON or YAML
     * files; nothing is read here), finds the device and applies its spec's {@code
     * containerEdits} and the device's own: each device node becomes a {@link Mount.Device} at
     * its {@code path}, each bind mount a read-only (option {@code ro}) or writable {@link
     * Mount.Bind}, appended after this builder's mounts (parents first), and each {@code env}
     * entry sets its variable, over a value this builder set. With {@link
     * Rootfs#hostReadOnly()} a mount of a host path onto the same file is left out: the host
     * root already shows it. For {@code nvidia.com/gpu} without a spec, {@link
     * dev.boxkit.sandbox.cdi.NvidiaDiscovery} stands in.
     *
     * <p>At launch, a spec that cannot be applied is an {@link
     * dev.boxkit.sandbox.cdi.InvalidCdiSpecException} naming its file and field: a bad spec,
     * hooks (they would run on the host; see {@link #skipCdiHooks()}), a mount other than a
     * bind, a node that is not a device or whose type, numbers or mode differ from the spec's,
     * a node owner; an unknown kind or device is an {@link InvalidSandboxSpecException} for
     * {@code devices}. The VM backend refuses CDI devices (field {@code devices}).
     *
     * @param cdiName a fully-qualified name {@code vendor.com/class=name}, e.g. {@code
     *     nvidia.com/gpu=0}, or {@code vendor.com/class=all}
     * @throws InvalidSandboxSpecException naming {@code devices} when the name is malformed
     */
    public Builder device(String cdiName) {
      cdiDevices.add(CdiName.parse(cdiName));
      return this;
    }

    /**
     * @param request replaces every CDI device, the spec directories and the hook choice set
     *     before; {@link CdiRequest#NONE} for none
     */
    public Builder devices(CdiRequest request) {
      SandboxPaths.nonNull("devices", request);
      this.cdiDevices = new ArrayList<>(request.devices());
      this.cdiSpecDirs = request.specDirs();
      this.skipCdiHooks = request.skipHooks();
      return this;
    }

    /**
     * @param dirs where {@link #device(String)} looks for CDI specs, lowest priority first (a
     *     device in a later directory replaces one of the same name in an earlier one);
     *     default {@link CdiRegistry#DEFAULT_SPEC_DIRS} ({@code /etc/cdi}, {@code /var/run/cdi})
     * @throws InvalidSandboxSpecException naming {@code cdiSpecDirs} for a relative path
     */
    public Builder cdiSpecDirs(List<Path> dirs) {
      this.cdiSpecDirs = new CdiRequest(List.of(), SandboxPaths.nonNull("cdiSpecDirs", dirs), false).specDirs();
      return this;
    }

    /**
     * Applies CDI devices whose specs have hooks without running the hooks. BoxKit never runs
     * CDI hooks: they are host programs (often run as root) at OCI lifecycle points that need
     * an OCI bundle BoxKit does not make. By default such a device is refused, naming the hook;
     * with this, the caller accepts that what the hooks would have done (for {@code
     * nvidia-ctk}'s: update the sandbox's {@code ld.so.cache}, make library links) is not done.
     */
    public Builder skipCdiHooks() {
      this.skipCdiHooks = true;
      return this;
    }

    /** @param limits resource limits */
    public Builder limits(ResourceLimits limits) {
      this.limits = SandboxPaths.nonNull("limits", limits);
      return this;
    }

    /** @param stdin where stdin comes from */
    public Builder stdin(Stdio stdin) {
      this.stdin = SandboxPaths.nonNull("stdin", stdin);
      return this;
    }

    /** @param stdout where stdout goes */
    public Builder stdout(Stdio stdout) {
      this.stdout = SandboxPaths.nonNull("stdout", stdout);
      return this;
    }

    /** @param stderr where stderr goes */
    public Builder stderr(Stdio stderr) {
      this.stderr = SandboxPaths.nonNull("stderr", stderr);
      return this;
    }

    /** @param bytes most bytes of each output stream {@link Sandbox#run} keeps */
    public Builder captureLimitBytes(long bytes) {
      this.captureLimitBytes = bytes;
      return this;
    }

    /** @param die whether the sandbox dies with the JVM */
    public Builder dieWithParent(boolean die) {
      this.dieWithParent = die;
      return this;
    }

    /**
     * Keeps host ids inside the sandbox when the JVM runs as root (inside uid 0 = host uid 0);
     * weaker than the default shifted range, see {@link SandboxSpec#hostIdentityMapping()}.
     */
    public Builder hostIdentityMapping() {
      this.hostIdentityMapping = true;
      return this;
    }

    /**
     * @param isolation the kind of boundary wanted; {@link Isolation#VM} on Linux runs the spec
     *     in a micro-VM (the sdk-sandbox-macos backend must be on the class path)
     */
    public Builder isolation(Isolation isolation) {
      this.isolation = SandboxPaths.nonNull("isolation", isolation);
      return this;
    }

    /**
     * @return the spec
     * @throws InvalidSandboxSpecException when the argv is missing or a value is bad
     */
    public SandboxSpec build() {
      ContainerConfig c = imageConfig != null ? imageConfig : ContainerConfig.EMPTY;
      List<String> fullArgv = new ArrayList<>();
      if (entrypoint != null) {
        fullArgv.addAll(entrypoint);
      } else if (c.entrypoint() != null) {
        fullArgv.addAll(c.entrypoint());
      }
      if (argv != null) {
        fullArgv.addAll(argv);
      } else if (entrypoint == null && c.cmd() != null) {
        fullArgv.addAll(c.cmd());
      }
      if (fullArgv.isEmpty() && imageConfig != null) {
        throw new InvalidSandboxSpecException("argv",
            "the image has no Entrypoint or Cmd: give a command");
      }
      Map<String, String> fullEnv = new LinkedHashMap<>();
      if (!envReplaced) {
        fullEnv.putAll(c.envMap());
      }
      fullEnv.putAll(env);
      if (imageConfig != null && !envReplaced) {
        fullEnv.putIfAbsent("PATH", DEFAULT_PATH);
      }
      String dir = workingDir != null ? workingDir
          : c.workingDir() != null && !c.workingDir().isEmpty() ? c.workingDir() : "/";
      String who = user != null ? user : c.user();
      // uid:gid by number is final now; a name (or a uid whose primary group is looked up) is
      // resolved at launch, where the root's files are read anyway.
      boolean numeric = who == null || who.isEmpty() || NUMERIC_USER.matcher(who).matches();
      UserResolver.Ids ids = numeric ? UserResolver.resolve(who, null) : new UserResolver.Ids(0, 0);
      return new SandboxSpec(root, fullArgv, fullEnv, dir, ids.uid(), ids.gid(), hostname, mounts,
          network, limits, stdin, stdout, stderr, captureLimitBytes, dieWithParent,
          hostIdentityMapping, isolation, ports, sharedNetwork, egress, egressListener,
          new CdiRequest(cdiDevices, cdiSpecDirs, skipCdiHooks), numeric ? null : who);
    }

    /** @return {@code Sandbox.run(build())} */
    public ExecResult run() {
      return Sandbox.run(build());
    }

    /** @return {@code Sandbox.start(build())} */
    public SandboxProcess start() {
      return Sandbox.start(build());
    }

    @Override
    public String toString() {
      return "SandboxSpec.Builder[" + Objects.toString(argv) + "]";
    }
  }
}
