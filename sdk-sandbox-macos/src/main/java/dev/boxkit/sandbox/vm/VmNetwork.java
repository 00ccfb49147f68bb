package dev.boxkit.sandbox.vm;

import dev.boxkit.sandbox.EgressEvent;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.PortMapping;
import dev.boxkit.sandbox.SandboxSetupException;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.internal.egress.SandboxEgress;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a VM sandbox has of the network, on the host side: a listener on {@code 127.0.0.1} per
 * published port (bound before the VM boots, so {@link #mappedPort} is known at once and a port
 * in use fails the start), and the egress proxy of an allow-list. Once the guest is connected,
 * {@link #attach} relays accepted connections into the guest and the guest's egress connections
 * to the proxy over the control channel ({@link StreamRelay}), and, for a member of a shared
 * network, connections to and from the other members ({@link VmPod}). The guest itself has no
 * network device. Closing stops the listeners, every relayed connection and the proxy, and
 * leaves the network.
 */
final class VmNetwork implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(VmNetwork.class);

  private final Map<Integer, ServerSocket> listeners;
  private final SandboxEgress egress;
  private final VmPod pod;
  private final VmPod.Member member;
  private volatile StreamRelay relay;
  private volatile boolean closed;

  private VmNetwork(Map<Integer, ServerSocket> listeners, SandboxEgress egress, VmPod pod,
      VmPod.Member member) {
    this.listeners = listeners;
    this.egress = egress;
    this.pod = pod;
    this.member = member;
  }

  /**
   * Binds every published port, starts the egress proxy of {@code spec} (already given the
   * proxy environment by {@link SandboxEgress#withProxyEnv}) and joins its shared network.
   *
   * @throws SandboxSetupException at step {@code publish}, naming {@code 127.0.0.1:port}, when a
   *     host port is in use or cannot be bound; nothing is left listening
   * @throws dev.boxkit.sandbox.InvalidSandboxSpecException naming {@code hostname} or {@code
   *     network} when the shared network refuses the member
   */
  static VmNetwork open(SandboxSpec spec) {
    Map<Integer, ServerSocket> bound = new LinkedHashMap<>();
    SandboxEgress egress = null;
    VmPod pod = null;
    VmPod.Member member = null;
    try {
      if (spec.sharedNetwork() != null) {
        dev.boxkit.sandbox.SandboxNetwork net = spec.sharedNetwork();
        pod = net.backendState(VmPod.class, () -> new VmPod(net));
        member = pod.join(spec.hostname());
      }
      for (PortMapping p : spec.ports()) {
        String where = "127.0.0.1:" + p.hostPort();
        try {
          ServerSocket s = new ServerSocket();
          bound.put(p.sandboxPort(), s);
          s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p.hostPort()), 128);
        } catch (BindException e) {
          throw new SandboxSetupException("publish", where, 98, "EADDRINUSE", "publish " + where
              + " -> sandbox port " + p.sandboxPort() + ": " + e.getMessage());
        } catch (IOException e) {
          throw new SandboxSetupException("publish", where, 0, null, "publish " + where
              + " -> sandbox port " + p.sandboxPort() + ": " + e);
        }
      }
      if (!spec.egress().isDenyAll()) {
        egress = SandboxEgress.start(spec);
      }
      return new VmNetwork(bound, egress, pod, member);
    } catch (RuntimeException e) {
      bound.values().forEach(VmNetwork::closeQuietly);
      if (egress != null) {
        egress.close();
      }
      if (member != null) {
        pod.leave(member);
      }
      throw e;
    }
  }

  /**
   * The plan with what a shared network's member starts with: record {@code N}, the network's
   * hosts file ({@code H}) and the ports other members serve ({@code L}, one each).
   */
  GuestPlan withNetworkRecords(GuestPlan plan) {
    if (member == null) {
      return plan;
    }
    ControlProtocol.SpecWriter w = new ControlProtocol.SpecWriter();
    w.add('N', "1").add('H', member.hostsAtStart());
    member.relayedAtStart().forEach(p -> w.add('L', Integer.toString(p)));
    return plan.withRecords(w.toByteArray());
  }

  /**
   * @return the host port on {@code 127.0.0.1} that reaches {@code sandboxPort}
   * @throws InvalidSandboxSpecException naming {@code ports} when that port was not published
   */
  int mappedPort(int sandboxPort) {
    ServerSocket s = listeners.get(sandboxPort);
    if (s == null) {
      throw new InvalidSandboxSpecException("ports", "sandbox port " + sandboxPort
          + " was not published; published: " + listeners.keySet());
    }
    return s.getLocalPort();
  }

  /**
   * Starts relaying: one acceptor thread per published port, and the guest's egress streams.
   *
   * @param sender writes frames on the connected control channel
   */
  void attach(StreamRelay.Sender sender) {
    StreamRelay r = new StreamRelay(sender, (guestPort, socket) -> {
      if (egress != null && guestPort == SandboxEgress.SANDBOX_PORT) {
        return egress.hostPort();
      }
      return member != null ? pod.prepareConnect(member, guestPort, socket) : 0;
    });
    relay = r;
    if (member != null) {
      pod.attach(member, sender, r);
    }
    for (Map.Entry<Integer, ServerSocket> e : listeners.entrySet()) {
      int sandboxPort = e.getKey();
      ServerSocket server = e.getValue();
      Thread t = new Thread(() -> {
        while (!closed) {
          try {
            Socket s = server.accept();
            s.setTcpNoDelay(true);
            r.open(s, sandboxPort);
          } catch (IOException ex) {
            if (!closed) {
              LOG.debug("published port {} stopped accepting: {}", server.getLocalPort(), ex.toString());
            }
            return;
          }
        }
      }, "boxkit-vm-publish-" + server.getLocalPort());
      t.setDaemon(true);
      t.start();
    }
  }

  /**
   * Handles a stream frame from the guest.
   *
   * @return false when {@code f} is not a stream frame
   */
  boolean handle(ControlProtocol.Frame f) {
    StreamRelay r = relay;
    if (r == null) {
      return false;
    }
    switch (f.type()) {
      case ControlProtocol.LISTENING -> {
        if (member == null) {
          return false;
        }
        pod.listening(member, f.payload());
      }
      case ControlProtocol.ACCEPTED -> r.accepted(f.payload());
      case ControlProtocol.DATA -> r.data(f.payload());
      case ControlProtocol.WINDOW -> r.window(f.payload());
      case ControlProtocol.CLOSE -> r.closed(f.payload());
      default -> {
        return false;
      }
    }
    return true;
  }

  /** @return the egress refusals so far; empty without an allow-list */
  List<EgressEvent> denied() {
    return egress == null ? List.of() : egress.denied();
  }

  @Override
  public void close() {
    closed = true;
    listeners.values().forEach(VmNetwork::closeQuietly);
    StreamRelay r = relay;
    if (r != null) {
      r.close();
    }
    if (egress != null) {
      egress.close();
    }
    if (member != null) {
      pod.leave(member);
    }
  }

  private static void closeQuietly(ServerSocket s) {
    try {
      s.close();
    } catch (IOException e) {
      // nothing left to release
    }
  }
}
