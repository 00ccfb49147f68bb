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
 * to the proxy over the control channel ({@link StreamRelay}). The guest itself has no network
 * device. Closing stops the listeners, every relayed connection and the proxy.
 */
final class VmNetwork implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(VmNetwork.class);

  private final Map<Integer, ServerSocket> listeners;
  private final SandboxEgress egress;
  private volatile StreamRelay relay;
  private volatile boolean closed;

  private VmNetwork(Map<Integer, ServerSocket> listeners, SandboxEgress egress) {
    this.listeners = listeners;
    this.egress = egress;
  }

  /** No published ports, no egress: frames about streams are refused. */
  static VmNetwork none() {
    return new VmNetwork(Map.of(), null);
  }

  /**
   * Binds every published port and starts the egress proxy of {@code spec} (already given the
   * proxy environment by {@link SandboxEgress#withProxyEnv}).
   *
   * @throws SandboxSetupException at step {@code publish}, naming {@code 127.0.0.1:port}, when a
   *     host port is in use or cannot be bound; nothing is left listening
   */
  static VmNetwork open(SandboxSpec spec) {
    Map<Integer, ServerSocket> bound = new LinkedHashMap<>();
    SandboxEgress egress = null;
    try {
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
      return new VmNetwork(bound, egress);
    } catch (RuntimeException e) {
      bound.values().forEach(VmNetwork::closeQuietly);
      if (egress != null) {
        egress.close();
      }
      throw e;
    }
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
    StreamRelay r = new StreamRelay(sender, egress == null ? 0 : egress.hostPort());
    relay = r;
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
  }

  private static void closeQuietly(ServerSocket s) {
    try {
      s.close();
    } catch (IOException e) {
      // nothing left to release
    }
  }
}
