package dev.boxkit.junit5;

import dev.boxkit.sandbox.SandboxException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards TCP connections made to a port on the host's loopback to a Unix domain socket — the
 * way to reach a service in a sandbox with no network ({@link dev.boxkit.sandbox.NetworkMode#NONE}):
 * the service listens on a socket file in a bind-mounted directory, which works across network
 * namespaces, and TCP clients of the test (HTTP clients, JDBC drivers) connect to {@link #port()}.
 * The sandbox keeps its own, empty network.
 *
 * <p>Each connection gets two threads copying bytes until both directions reach end of file.
 * {@link #close()} stops accepting and closes every connection. Thread-safe.
 */
public final class UnixSocketForwarder implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(UnixSocketForwarder.class);
  private static final int BUFFER_BYTES = 64 * 1024;

  private final Path socket;
  private final ServerSocketChannel server;
  private final Thread acceptor;
  private final Set<SocketChannel> open = new HashSet<>();
  private final Set<Thread> pumps = new HashSet<>();
  private boolean closed;

  private UnixSocketForwarder(Path socket, ServerSocketChannel server) {
    this.socket = socket;
    this.server = server;
    this.acceptor = new Thread(this::accept, "boxkit-forward-" + port());
    acceptor.setDaemon(true);
  }

  /**
   * Starts listening on {@code 127.0.0.1} on a free port. The socket need not exist yet: each
   * connection opens it anew, and a client whose connection cannot be made is disconnected.
   *
   * @param socket host path of the Unix socket to forward to
   * @return the running forwarder; close it when done
   * @throws dev.boxkit.sandbox.SandboxException when no port can be opened
   */
  public static UnixSocketForwarder open(Path socket) {
    Objects.requireNonNull(socket, "socket");
    try {
      ServerSocketChannel server = ServerSocketChannel.open();
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      UnixSocketForwarder f = new UnixSocketForwarder(socket.toAbsolutePath(), server);
      f.acceptor.start();
      return f;
    } catch (IOException e) {
      throw new SandboxException("opening a loopback port to forward to " + socket + ": " + e, e);
    }
  }

  /** @return the TCP port on {@code 127.0.0.1} that clients connect to */
  public int port() {
    return server.socket().getLocalPort();
  }

  /** @return the Unix socket connections go to */
  public Path socket() {
    return socket;
  }

  private void accept() {
    while (true) {
      SocketChannel client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      SocketChannel target = null;
      try {
        target = SocketChannel.open(StandardProtocolFamily.UNIX);
        target.connect(UnixDomainSocketAddress.of(socket));
      } catch (IOException e) {
        LOG.debug("forwarding to {} failed: {}", socket, e.toString());
        closeQuietly(client);
        closeQuietly(target);
        continue;
      }
      if (!track(client, target)) {
        return;
      }
      AtomicInteger pumpsLeft = new AtomicInteger(2);
      startPump(client, target, pumpsLeft);
      startPump(target, client, pumpsLeft);
    }
  }

  private synchronized boolean track(SocketChannel a, SocketChannel b) {
    if (closed) {
      closeQuietly(a);
      closeQuietly(b);
      return false;
    }
    open.add(a);
    open.add(b);
    return true;
  }

  /** Copies {@code from} to {@code to}; the last of a connection's two pumps closes it. */
  private void startPump(SocketChannel from, SocketChannel to, AtomicInteger pumpsLeft) {
    Thread t = new Thread(() -> {
      ByteBuffer buf = ByteBuffer.allocate(BUFFER_BYTES);
      try {
        while (from.read(buf) >= 0) {
          buf.flip();
          while (buf.hasRemaining()) {
            to.write(buf);
          }
          buf.clear();
        }
        to.shutdownOutput();
      } catch (IOException e) {
        // One side went away or the forwarder closed: end the connection both ways.
        closeQuietly(from);
        closeQuietly(to);
      } finally {
        if (pumpsLeft.decrementAndGet() == 0) {
          closeQuietly(from);
          closeQuietly(to);
        }
        synchronized (this) {
          pumps.remove(Thread.currentThread());
          if (pumpsLeft.get() == 0) {
            open.remove(from);
            open.remove(to);
          }
        }
      }
    }, "boxkit-forward-" + port() + "-pump");
    t.setDaemon(true);
    synchronized (this) {
      pumps.add(t);
    }
    t.start();
  }

  private static void closeQuietly(SocketChannel c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException e) {
        LOG.debug("closing {}: {}", c, e.toString());
      }
    }
  }

  /** Stops accepting, closes every forwarded connection and waits for its threads. Idempotent. */
  @Override
  public void close() {
    Set<Thread> threads;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      open.forEach(UnixSocketForwarder::closeQuietly);
      open.clear();
      threads = new HashSet<>(pumps);
    }
    try {
      server.close();
    } catch (IOException e) {
      LOG.debug("closing the forwarder's port: {}", e.toString());
    }
    try {
      acceptor.join(5000);
      for (Thread t : threads) {
        t.join(5000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "UnixSocketForwarder[127.0.0.1:" + port() + " -> " + socket + "]";
  }
}
