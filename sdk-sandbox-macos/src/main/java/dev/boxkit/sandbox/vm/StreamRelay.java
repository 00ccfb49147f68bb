package dev.boxkit.sandbox.vm;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's end of the TCP streams multiplexed on a VM's control channel (frames {@code C A D W
 * Z}, see {@code boxkit-vm-agent.c}): connections accepted on a published port (or for another
 * member of a shared network), opened in the guest ({@link #open}), and connections a program
 * made to a relay listener of the guest, relayed to the egress proxy or another member ({@link
 * #accepted}). Each stream has a reader thread (socket to guest,
 * within the guest's credit) and a writer thread (guest to socket, acknowledging what it wrote),
 * so the thread reading the control channel never blocks on a socket.
 */
final class StreamRelay implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StreamRelay.class);

  /** Bytes of a stream either side may send that the other has not acknowledged ('W'). */
  static final int WINDOW = 128 * 1024;
  private static final int CHUNK = 64 * 1024;
  private static final byte[] EOF = new byte[0];
  private static final byte[] CLOSED = new byte[0];

  /** Sends one frame on the control channel (thread-safe). */
  @FunctionalInterface
  interface Sender {
    void send(byte type, byte[] payload) throws IOException;
  }

  /** Where a guest's relayed connection goes on the host. */
  @FunctionalInterface
  interface Target {
    /**
     * @param guestPort the relay listener's port in the guest
     * @param socket unconnected; may be bound here
     * @return the port on the host's loopback to connect {@code socket} to; 0 to refuse
     */
    int prepare(int guestPort, Socket socket) throws IOException;
  }

  private final Sender sender;
  private final Target target;
  private final Map<Integer, Stream> streams = new ConcurrentHashMap<>();
  private final AtomicInteger nextId = new AtomicInteger(2);
  private volatile boolean closed;

  /**
   * @param sender writes frames to the guest
   * @param target where connections the guest relays go (the egress proxy, another member of a
   *     shared network)
   */
  StreamRelay(Sender sender, Target target) {
    this.sender = sender;
    this.target = target;
  }

  /** Relays {@code socket} to {@code 127.0.0.1:sandboxPort} in the guest. */
  void open(Socket socket, int sandboxPort) {
    int id = nextId.getAndAdd(2);
    Stream s = new Stream(id, socket);
    streams.put(id, s);
    if (closed || !sendQuietly(ControlProtocol.CONNECT, ints(id, sandboxPort))) {
      s.close(false);
      return;
    }
    s.start();
  }

  /** A guest 'A' frame: a program connected to a relay listener in the guest. */
  void accepted(byte[] payload) {
    ByteBuffer b = ByteBuffer.wrap(payload);
    int id = b.getInt();
    int guestPort = b.getInt();
    Socket socket = new Socket();
    try {
      int hostPort = closed ? 0 : target.prepare(guestPort, socket);
      if (hostPort == 0) {
        throw new IOException("nothing on the host serves guest port " + guestPort);
      }
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), hostPort), 5_000);
    } catch (IOException e) {
      LOG.debug("egress stream {} refused: {}", id, e.toString());
      closeQuietly(socket);
      sendQuietly(ControlProtocol.CLOSE, ints(id));
      return;
    }
    Stream s = new Stream(id, socket);
    streams.put(id, s);
    s.start();
  }

  /** A guest 'D' frame: bytes for a stream's socket, or its end of file. */
  void data(byte[] payload) {
    int id = ByteBuffer.wrap(payload).getInt();
    Stream s = streams.get(id);
    if (s != null) {
      s.toSocket.add(payload.length == 4 ? EOF : Arrays.copyOfRange(payload, 4, payload.length));
    }
  }

  /** A guest 'W' frame: the guest wrote more of a stream to its socket. */
  void window(byte[] payload) {
    ByteBuffer b = ByteBuffer.wrap(payload);
    Stream s = streams.get(b.getInt());
    if (s != null) {
      s.credit(b.getInt());
    }
  }

  /** A guest 'Z' frame: the guest closed a stream. */
  void closed(byte[] payload) {
    Stream s = streams.get(ByteBuffer.wrap(payload).getInt());
    if (s != null) {
      s.close(false);
    }
  }

  /** @return streams open now */
  int openStreams() {
    return streams.size();
  }

  /** Closes every stream (the VM ended); their threads end. */
  @Override
  public void close() {
    closed = true;
    streams.values().forEach(s -> s.close(false));
  }

  private boolean sendQuietly(byte type, byte[] payload) {
    try {
      sender.send(type, payload);
      return true;
    } catch (IOException e) {
      LOG.debug("control frame '{}' not sent: {}", (char) type, e.toString());
      return false;
    }
  }

  private static byte[] ints(int... v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length);
    for (int x : v) {
      b.putInt(x);
    }
    return b.array();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // nothing left to release
    }
  }

  /** One relayed connection. */
  private final class Stream {
    private final int id;
    private final Socket socket;
    private final BlockingQueue<byte[]> toSocket = new LinkedBlockingQueue<>();
    private int credit = WINDOW;
    private boolean readDone;
    private boolean writeDone;
    private boolean gone;

    Stream(int id, Socket socket) {
      this.id = id;
      this.socket = socket;
    }

    void start() {
      Thread r = new Thread(this::socketToGuest, "boxkit-vm-stream-" + id + "-in");
      Thread w = new Thread(this::guestToSocket, "boxkit-vm-stream-" + id + "-out");
      r.setDaemon(true);
      w.setDaemon(true);
      r.start();
      w.start();
    }

    synchronized void credit(int n) {
      credit += n;
      notifyAll();
    }

    private synchronized int awaitCredit() throws InterruptedException {
      while (credit == 0 && !gone) {
        wait();
      }
      return gone ? 0 : Math.min(credit, CHUNK);
    }

    private void socketToGuest() {
      byte[] buf = new byte[4 + CHUNK];
      ByteBuffer.wrap(buf).putInt(id);
      try (InputStream in = socket.getInputStream()) {
        while (true) {
          int want = awaitCredit();
          if (want == 0) {
            return;
          }
          int n = in.read(buf, 4, want);
          if (n < 0) {
            sender.send(ControlProtocol.DATA, Arrays.copyOf(buf, 4));
            finish(true, false);
            return;
          }
          synchronized (this) {
            credit -= n;
          }
          sender.send(ControlProtocol.DATA, Arrays.copyOf(buf, 4 + n));
        }
      } catch (IOException | InterruptedException e) {
        close(true);
      }
    }

    private void guestToSocket() {
      try {
        OutputStream out = socket.getOutputStream();
        while (true) {
          byte[] chunk = toSocket.take();
          if (chunk == CLOSED) {
            return;
          }
          if (chunk == EOF) {
            socket.shutdownOutput();
            finish(false, true);
            return;
          }
          out.write(chunk);
          out.flush();
          sender.send(ControlProtocol.WINDOW, ints(id, chunk.length));
        }
      } catch (IOException | InterruptedException e) {
        close(true);
      }
    }

    /** Notes one direction done; both done closes the stream and tells the guest. */
    private void finish(boolean read, boolean write) {
      boolean both;
      synchronized (this) {
        readDone |= read;
        writeDone |= write;
        both = readDone && writeDone;
      }
      if (both) {
        close(true);
      }
    }

    void close(boolean tellGuest) {
      synchronized (this) {
        if (gone) {
          return;
        }
        gone = true;
        notifyAll();
      }
      streams.remove(id, this);
      toSocket.add(CLOSED);
      closeQuietly(socket);
      if (tellGuest && !closed) {
        sendQuietly(ControlProtocol.CLOSE, ints(id));
      }
    }
  }
}
