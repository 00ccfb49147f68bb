package dev.boxkit.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private network several sandboxes share, where they reach each other by host name and
 * nothing else — a compose network or a Kubernetes Pod. Create one, give it to each member with
 * {@link SandboxSpec.Builder#network(SandboxNetwork)} and {@link SandboxSpec.Builder#hostname},
 * and close it when done:
 *
 * <pre>{@code
 * try (SandboxNetwork net = SandboxNetwork.create("it")) {
 *   SandboxProcess db = Sandbox.builder().network(net).hostname("db")...start();
 *   ExecResult r = Sandbox.builder().network(net).hostname("client")
 *       .command("wget", "-qO-", "http://db:8080/").run();
 * }
 * }</pre>
 *
 * <p>Pod-style, on Linux: the members share one network namespace (one loopback interface, no
 * route out), so every member's name resolves to {@code 127.0.0.1} through an {@code /etc/hosts}
 * BoxKit writes and binds read-only into each member, and two members cannot listen on the same
 * port. A sandbox not on the network has its own namespace and reaches none of them. Published
 * ports of members work as usual. The namespace lives while the network is open or a member runs.
 *
 * <p>Micro-VM members ({@link Isolation#VM}) get the same model emulated: each guest reports the
 * ports its program listens on, and every other member's guest relays {@code 127.0.0.1} on those
 * ports to it through the host; names resolve to {@code 127.0.0.1} as above. A new listener is
 * seen within about 100 ms. The running members of a network share one isolation.
 *
 * <p>Thread-safe.
 */
public final class SandboxNetwork implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SandboxNetwork.class);

  private final String name;
  private final Path dir;
  private final Path hosts;
  private final Set<String> members = new TreeSet<>();
  private final Map<String, Isolation> isolations = new LinkedHashMap<>();
  private final Map<Class<?>, AutoCloseable> backends = new LinkedHashMap<>();
  private boolean closed;

  private SandboxNetwork(String name, Path dir) {
    this.name = name;
    this.dir = dir;
    this.hosts = dir.resolve("hosts");
  }

  /**
   * Creates an empty network; nothing runs until the first member starts.
   *
   * @param name 1-64 letters, digits, dots or dashes, for messages and logs
   * @return the network, to be closed by the caller
   * @throws InvalidSandboxSpecException naming {@code network.name} when malformed
   * @throws SandboxException when its hosts file cannot be written under {@code java.io.tmpdir}
   */
  public static SandboxNetwork create(String name) {
    SandboxPaths.nonNull("network.name", name);
    if (name.isEmpty() || name.length() > 64 || !name.matches("[A-Za-z0-9][A-Za-z0-9.-]*")) {
      throw new InvalidSandboxSpecException("network.name",
          "\"" + name + "\" is not 1-64 letters, digits, '.' or '-'");
    }
    try {
      Path dir = Files.createTempDirectory("boxkit-network-" + name + "-");
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      SandboxNetwork net = new SandboxNetwork(name, dir);
      net.writeHosts();
      return net;
    } catch (IOException e) {
      throw new SandboxException("creating network " + name + ": " + e, e);
    }
  }

  /** @return the name given to {@link #create} */
  public String name() {
    return name;
  }

  /** @return whether {@link #close()} was called */
  public synchronized boolean isClosed() {
    return closed;
  }

  /** @return the host names of the members running now, sorted */
  public synchronized Set<String> members() {
    return Set.copyOf(members);
  }

  /**
   * For backends: the {@code /etc/hosts} file of the members (mode 0644), rewritten in place
   * whenever a member joins or leaves, so binds of it see the change.
   *
   * @return its host path
   */
  public Path hostsFile() {
    return hosts;
  }

  /**
   * For backends: adds a member running in Linux namespaces; see {@link #join(String, Isolation)}.
   *
   * @param hostname the member's host name
   * @return the lease; closing it (idempotent) removes the name
   * @throws InvalidSandboxSpecException as {@link #join(String, Isolation)}
   */
  public AutoCloseable join(String hostname) {
    return join(hostname, Isolation.NAMESPACES);
  }

  /**
   * For backends: adds a member by host name, until the returned lease is closed. The members
   * running at one time share one isolation: namespace members share a network namespace, micro-VM
   * members a loopback their guests emulate, and the two cannot reach each other.
   *
   * @param hostname the member's host name
   * @param isolation how the member runs ({@link Isolation#NAMESPACES} or {@link Isolation#VM})
   * @return the lease; closing it (idempotent) removes the name
   * @throws InvalidSandboxSpecException naming {@code network} when the network is closed or its
   *     running members have another isolation, or {@code hostname} when a running member already
   *     has that name
   */
  public synchronized AutoCloseable join(String hostname, Isolation isolation) {
    checkOpen();
    SandboxPaths.nonNull("isolation", isolation);
    for (Map.Entry<String, Isolation> m : isolations.entrySet()) {
      if (m.getValue() != isolation) {
        throw new InvalidSandboxSpecException("network", "network " + name + " has members running with "
            + m.getValue() + " (" + m.getKey() + "); a " + isolation + " member could not reach them:"
            + " the running members of a network share one isolation");
      }
    }
    if (!members.add(hostname)) {
      throw new InvalidSandboxSpecException("hostname", "\"" + hostname + "\" is already a member of network "
          + name + "; each member needs its own name");
    }
    isolations.put(hostname, isolation);
    writeHosts();
    boolean[] left = {false};
    return () -> {
      synchronized (this) {
        if (!left[0]) {
          left[0] = true;
          members.remove(hostname);
          isolations.remove(hostname);
          if (!closed) {
            writeHosts();
          }
        }
      }
    };
  }

  /**
   * For backends: the backend's own state of this network (say, the process holding a shared
   * namespace), made on first use and closed with the network.
   *
   * @param type the state's class, also its key
   * @param create makes it; called at most once per network and type
   * @param <T> the state's type
   * @return the state
   * @throws InvalidSandboxSpecException naming {@code network} when the network is closed
   */
  public synchronized <T extends AutoCloseable> T backendState(Class<T> type, Supplier<T> create) {
    checkOpen();
    AutoCloseable state = backends.get(type);
    if (state == null) {
      state = SandboxPaths.nonNull("network.state", create.get());
      backends.put(type, state);
    }
    return type.cast(state);
  }

  /**
   * Closes the network: no new member may join; the backends' state is released (a member still
   * running keeps its namespace until it ends); the hosts file is deleted. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (AutoCloseable state : backends.values()) {
      try {
        state.close();
      } catch (Exception e) {
        LOG.warn("closing network {}: {}", name, e.toString());
      }
    }
    backends.clear();
    try {
      Files.deleteIfExists(hosts);
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      LOG.debug("removing {}: {}", dir, e.toString());
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new InvalidSandboxSpecException("network", "network " + name + " is closed");
    }
  }

  /** Rewrites the file in place (same inode): members see the file they had bound, updated. */
  private void writeHosts() {
    StringBuilder sb = new StringBuilder("127.0.0.1\tlocalhost\n::1\tlocalhost\n");
    for (String m : members) {
      sb.append("127.0.0.1\t").append(m).append('\n');
    }
    try (FileChannel ch = FileChannel.open(hosts, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      ByteBuffer b = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
      while (b.hasRemaining()) {
        ch.write(b, b.position());
      }
      ch.truncate(sb.length());
      Files.setPosixFilePermissions(hosts, PosixFilePermissions.fromString("rw-r--r--"));
    } catch (IOException e) {
      throw new SandboxException("writing " + hosts + ": " + e, e);
    }
  }

  @Override
  public String toString() {
    return "SandboxNetwork[" + name + "]";
  }
}
