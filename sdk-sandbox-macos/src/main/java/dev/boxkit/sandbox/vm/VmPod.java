package dev.boxkit.sandbox.vm;

import dev.boxkit.sandbox.SandboxException;
import dev.boxkit.sandbox.Isolation;
import dev.boxkit.sandbox.SandboxNetwork;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The VM backend's state of one {@link SandboxNetwork}: its micro-VM members and the ports each
 * one's program listens on, emulating the pod-style shared loopback of the namespaces backend.
 * A port belongs to the member that listens on it first; every other member's guest relays
 * {@code 127.0.0.1:port} to the host ('L' frames), which connects it to the owner's guest.
 *
 * <p>The host side of an owned port is a listener on the host's loopback that accepts only the
 * connections this pod made itself (their local port is registered before they connect), so no
 * other host process reaches a member through it; published ports remain the only way in.
 */
final class VmPod implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(VmPod.class);

  private final SandboxNetwork network;
  private final Map<String, Member> members = new LinkedHashMap<>();
  private final Map<Integer, Owned> owned = new HashMap<>();
  private boolean closed;

  VmPod(SandboxNetwork network) {
    this.network = network;
  }

  /** One running VM member. */
  final class Member {
    private final String hostname;
    private final AutoCloseable lease;
    private StreamRelay.Sender sender;
    private StreamRelay relay;
    private Set<Integer> listening = Set.of();
    private final Set<Integer> relayed = new TreeSet<>();
    private String hostsSent;

    private Member(String hostname, AutoCloseable lease) {
      this.hostname = hostname;
      this.lease = lease;
    }

    /** @return the ports the guest relays to other members from the start (spec records 'L') */
    Set<Integer> relayedAtStart() {
      synchronized (VmPod.this) {
        return Set.copyOf(relayed);
      }
    }

    /** @return the network's hosts file as the guest starts with it (spec record 'H') */
    String hostsAtStart() {
      synchronized (VmPod.this) {
        return hostsSent;
      }
    }
  }

  /** An owned port's host side. */
  private record Owned(Member owner, int port, ServerSocket server, Set<Integer> expected) {}

  /**
   * Adds a member; what its guest starts with is read from the member.
   *
   * @throws dev.boxkit.sandbox.InvalidSandboxSpecException as {@link SandboxNetwork#join(String, Isolation)}
   */
  synchronized Member join(String hostname) {
    Member m = new Member(hostname, network.join(hostname, Isolation.VM));
    members.put(hostname, m);
    m.relayed.addAll(foreignPorts(m));
    m.hostsSent = hosts();
    members.values().forEach(this::sync);
    return m;
  }

  /** The member's guest is connected: from now on it hears of every change. */
  synchronized void attach(Member m, StreamRelay.Sender sender, StreamRelay relay) {
    m.sender = sender;
    m.relay = relay;
    sync(m);
  }

  /**
   * A 'T' frame: the ports {@code m}'s program listens on now. Ports another member owns stay
   * that member's (the guest's own listener then only serves the guest itself).
   */
  synchronized void listening(Member m, byte[] payload) {
    ByteBuffer b = ByteBuffer.wrap(payload);
    Set<Integer> now = new HashSet<>();
    while (b.remaining() >= 4) {
      now.add(b.getInt());
    }
    for (Integer p : m.listening) {
      if (!now.contains(p)) {
        release(m, p);
      }
    }
    for (Integer p : now) {
      if (!m.listening.contains(p) && !closed) {
        Owned o = owned.get(p);
        if (o == null) {
          own(m, p);
        } else if (o.owner() != m) {
          LOG.warn("network {}: {} listens on port {}, which {} already serves to the network",
              network.name(), m.hostname, p, o.owner().hostname);
        }
      }
    }
    m.listening = Set.copyOf(now);
    members.values().forEach(this::sync);
  }

  /**
   * For a connection {@code asking}'s program made to a relayed port: where on the host's
   * loopback to connect, with the local port it will use registered; 0 when nobody owns it.
   *
   * @param socket an unconnected socket, bound here to an ephemeral loopback port
   */
  synchronized int prepareConnect(Member asking, int port, Socket socket) throws IOException {
    Owned o = owned.get(port);
    if (o == null || o.owner() == asking) {
      return 0;
    }
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    o.expected().add(socket.getLocalPort());
    return o.server().getLocalPort();
  }

  /** The member ended: its name and ports leave the network. */
  synchronized void leave(Member m) {
    if (members.remove(m.hostname) != m) {
      return;
    }
    for (Integer p : m.listening) {
      release(m, p);
    }
    try {
      m.lease.close();
    } catch (Exception e) {
      LOG.debug("leaving network {}: {}", network.name(), e.toString());
    }
    if (!closed) {
      members.values().forEach(this::sync);
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    for (Owned o : owned.values()) {
      closeQuietly(o.server());
    }
    owned.clear();
  }

  private void own(Member m, int port) {
    try {
      ServerSocket server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
      Owned o = new Owned(m, port, server, java.util.Collections.synchronizedSet(new HashSet<>()));
      owned.put(port, o);
      Thread t = new Thread(() -> accept(o), "boxkit-vm-pod-" + network.name() + "-" + port);
      t.setDaemon(true);
      t.start();
    } catch (IOException e) {
      LOG.warn("network {}: port {} of {} not shared: {}", network.name(), port, m.hostname, e.toString());
    }
  }

  private void accept(Owned o) {
    while (true) {
      Socket s;
      try {
        s = o.server().accept();
      } catch (IOException e) {
        return; // closed: the port was released
      }
      if (!o.expected().remove(s.getPort())) {
        closeQuietly(s); // not a connection of this pod
        continue;
      }
      StreamRelay relay;
      synchronized (this) {
        relay = o.owner().relay;
      }
      if (relay == null) {
        closeQuietly(s);
      } else {
        relay.open(s, o.port());
      }
    }
  }

  private void release(Member m, int port) {
    Owned o = owned.get(port);
    if (o != null && o.owner() == m) {
      owned.remove(port);
      closeQuietly(o.server());
    }
  }

  private Set<Integer> foreignPorts(Member m) {
    Set<Integer> out = new TreeSet<>();
    owned.forEach((p, o) -> {
      if (o.owner() != m) {
        out.add(p);
      }
    });
    return out;
  }

  /** Brings {@code m}'s guest up to date: relayed ports and hosts file. */
  private void sync(Member m) {
    if (m.sender == null) {
      return;
    }
    Set<Integer> want = foreignPorts(m);
    try {
      for (Integer p : new TreeSet<>(m.relayed)) {
        if (!want.contains(p)) {
          m.sender.send(ControlProtocol.RELAY, ByteBuffer.allocate(8).putInt(p).putInt(0).array());
          m.relayed.remove(p);
        }
      }
      for (Integer p : want) {
        if (m.relayed.add(p)) {
          m.sender.send(ControlProtocol.RELAY, ByteBuffer.allocate(8).putInt(p).putInt(1).array());
        }
      }
      String hosts = hosts();
      if (!hosts.equals(m.hostsSent)) {
        m.sender.send(ControlProtocol.HOSTS, hosts.getBytes(StandardCharsets.UTF_8));
        m.hostsSent = hosts;
      }
    } catch (IOException e) {
      LOG.debug("network {}: {} not updated: {}", network.name(), m.hostname, e.toString());
    }
  }

  private String hosts() {
    try {
      return Files.readString(network.hostsFile(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new SandboxException("reading the hosts file of network " + network.name() + ": " + e, e);
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // nothing left to release
    }
  }
}
