package dev.boxkit.sandbox.internal.egress;

import dev.boxkit.sandbox.SandboxException;
import dev.boxkit.sandbox.EgressEvent;
import dev.boxkit.sandbox.EgressPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP/1.1 forward proxy on {@code 127.0.0.1} that lets clients reach only what an
 * {@link EgressPolicy} allows. It serves {@code CONNECT host:port} (answers 200, then tunnels
 * bytes both ways: HTTPS and anything else over TCP) and absolute-URI requests such as
 * {@code GET http://host:port/path} (forwards the request with a path-only request line, the
 * URI's authority as {@code Host}, {@code Proxy-*} and hop-by-hop headers removed and
 * {@code Connection: close}, then relays bytes both ways). One request per client connection.
 *
 * <p>Names are checked before they are resolved, resolved on a small bounded pool of resolver
 * threads (lookups block), and every answer is checked again (see {@link EgressPolicy}) before
 * the proxy connects to the first address that accepts. A refused request gets
 * {@code 403 Forbidden} with the reason as a {@code text/plain} body, an unparsable one
 * {@code 400 Bad Request}; both produce one {@link EgressEvent}. A name that does not resolve
 * or a destination that cannot be reached gets {@code 502 Bad Gateway} and no event.
 *
 * <p>All sockets are served by one thread with an NIO {@link Selector}: accepting, reading
 * request heads, connecting and relaying never block it. Listeners for events run on that
 * thread and must return quickly; one that throws is logged and ignored. Any local process
 * can connect to the port; the policy is what keeps it safe to expose.
 *
 * <p>Thread-safe: {@link #port()} and {@link #close()} may be called from any thread.
 */
public final class EgressProxy implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EgressProxy.class);

  /** Longest request head (request line and headers) accepted, in bytes; longer gets 400. */
  public static final int MAX_HEAD_BYTES = 16 * 1024;

  /**
   * Bytes buffered per direction of a relayed connection: large enough for TCP to keep a
   * window full on loopback, small enough that thousands of tunnels stay cheap.
   */
  static final int BUFFER_BYTES = 32 * 1024;

  /**
   * A client must send a whole request head within this time, so idle or trickling clients
   * (slowloris) cannot hold sockets forever.
   */
  public static final Duration HEAD_TIMEOUT = Duration.ofSeconds(10);

  /**
   * Longest wait for a name lookup (answered 504) and for each TCP connect to one address
   * (then the next address is tried): an unreachable destination fails fast instead of
   * holding the client.
   */
  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /**
   * A relayed connection that moves no byte in either direction for this long is closed: it
   * frees sockets of abandoned tunnels yet outlasts common long-poll and keep-alive intervals.
   */
  public static final Duration IDLE_TIMEOUT = Duration.ofMinutes(5);

  /**
   * After an error response the proxy reads and discards what the client still sends for at
   * most this long before closing, so closing with unread input (a TCP reset) does not destroy
   * the response before the client reads it.
   */
  static final Duration LINGER_TIMEOUT = Duration.ofSeconds(2);

  /** Most client connections served at once; more are closed at accept (fd budget). */
  static final int MAX_CONNECTIONS = 4096;

  /** Resolver threads: lookups block, a few in parallel hide slow DNS servers. */
  static final int RESOLVER_THREADS = 4;

  /** Lookups waiting for a resolver thread; more get 503 rather than unbounded memory. */
  static final int RESOLVER_QUEUE = 1024;

  /** How often deadlines are checked, in milliseconds. */
  private static final long TICK_MILLIS = 200;

  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Pattern VERSION = Pattern.compile("HTTP/1\\.[01]");
  private static final Pattern DIGITS = Pattern.compile("[0-9]{1,5}");

  /** The timeouts one proxy uses; tests shorten them. */
  record Timeouts(Duration head, Duration connect, Duration idle, Duration linger) {
    static final Timeouts DEFAULT =
        new Timeouts(HEAD_TIMEOUT, CONNECT_TIMEOUT, IDLE_TIMEOUT, LINGER_TIMEOUT);
  }

  private final EgressPolicy policy;
  private final Resolver resolver;
  private final Consumer<EgressEvent> onDenied;
  private final Timeouts timeouts;
  private final Selector selector;
  private final ServerSocketChannel server;
  private final int port;
  private final ThreadPoolExecutor resolverPool;
  // The pool reports termination a moment before its threads die; close() joins them too.
  private final Set<Thread> resolverThreads = ConcurrentHashMap.newKeySet();
  private final ConcurrentLinkedQueue<Runnable> handBack = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Thread thread;
  // Touched by the selector thread only.
  private final Set<Conn> conns = new HashSet<>();
  private final ByteBuffer discard = ByteBuffer.allocate(4096);

  private EgressProxy(EgressPolicy policy, Resolver resolver, Consumer<EgressEvent> onDenied,
      Timeouts timeouts) throws IOException {
    this.policy = policy;
    this.resolver = resolver;
    this.onDenied = onDenied;
    this.timeouts = timeouts;
    this.selector = Selector.open();
    try {
      this.server = ServerSocketChannel.open();
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
      server.configureBlocking(false);
      server.register(selector, SelectionKey.OP_ACCEPT);
      this.port = ((InetSocketAddress) server.getLocalAddress()).getPort();
    } catch (IOException | RuntimeException e) {
      selector.close();
      throw e;
    }
    AtomicInteger n = new AtomicInteger();
    this.resolverPool = new ThreadPoolExecutor(RESOLVER_THREADS, RESOLVER_THREADS,
        30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(RESOLVER_QUEUE), r -> {
          Thread t = new Thread(r, "boxkit-egress-resolver-" + port + "-" + n.incrementAndGet());
          t.setDaemon(true);
          resolverThreads.removeIf(old -> !old.isAlive()); // threads time out and are remade
          resolverThreads.add(t);
          return t;
        });
    resolverPool.allowCoreThreadTimeOut(true); // no thread kept while nothing resolves
    this.thread = new Thread(this::loop, "boxkit-egress-proxy-" + port);
    thread.setDaemon(true);
  }

  /**
   * Starts a proxy on {@code 127.0.0.1} with an ephemeral port.
   *
   * @param policy what clients may reach
   * @param resolver how names are resolved ({@link Resolver#system()} in production)
   * @param onDenied called once per refused request, on the proxy's thread; must be quick
   * @return the running proxy; {@link #close()} it
   * @throws dev.boxkit.sandbox.SandboxException when the listening socket cannot be opened
   * @throws NullPointerException when an argument is null
   */
  public static EgressProxy start(EgressPolicy policy, Resolver resolver,
      Consumer<EgressEvent> onDenied) {
    return start(policy, resolver, onDenied, Timeouts.DEFAULT);
  }

  static EgressProxy start(EgressPolicy policy, Resolver resolver,
      Consumer<EgressEvent> onDenied, Timeouts timeouts) {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(resolver, "resolver");
    Objects.requireNonNull(onDenied, "onDenied");
    EgressProxy p;
    try {
      p = new EgressProxy(policy, resolver, onDenied, timeouts);
    } catch (IOException e) {
      throw new SandboxException("cannot open the egress proxy's socket" + ": " + e, e);
    }
    p.thread.start();
    return p;
  }

  /** @return the TCP port the proxy listens on, on {@code 127.0.0.1} */
  public int port() {
    return port;
  }

  /**
   * Stops the proxy: closes the listening socket and every client and destination connection,
   * and waits (up to 5 s) for its threads to end. Idempotent; safe from any thread, including
   * an event listener (which then does not wait). A lookup blocked inside the resolver keeps
   * its thread until the lookup returns.
   */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      selector.wakeup();
      resolverPool.shutdownNow();
    }
    if (Thread.currentThread() == thread) {
      return;
    }
    try {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      thread.join(5000);
      resolverPool.awaitTermination(5, TimeUnit.SECONDS);
      for (Thread t : resolverThreads) {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void loop() {
    long nextSweep = System.nanoTime();
    try {
      while (!closed.get()) {
        selector.select(TICK_MILLIS);
        Runnable task;
        while ((task = handBack.poll()) != null) {
          task.run();
        }
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
          SelectionKey key = it.next();
          it.remove();
          if (!key.isValid()) {
            continue;
          }
          if (key.channel() == server) {
            accept();
          } else {
            ((Conn) key.attachment()).ready(key);
          }
        }
        long now = System.nanoTime();
        if (now - nextSweep >= 0) {
          nextSweep = now + TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS);
          for (Conn c : new ArrayList<>(conns)) {
            if (now - c.deadline >= 0) {
              c.guard(c::expired);
            }
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      if (!(e instanceof ClosedSelectorException)) {
        LOG.error("egress proxy on port {} stopped", port, e);
      }
    } finally {
      closed.set(true);
      resolverPool.shutdownNow();
      for (Conn c : new ArrayList<>(conns)) {
        c.close();
      }
      closeQuietly(server);
      try {
        selector.close();
      } catch (IOException e) {
        LOG.debug("closing selector", e);
      }
    }
  }

  private void accept() throws IOException {
    SocketChannel ch;
    while ((ch = server.accept()) != null) {
      if (conns.size() >= MAX_CONNECTIONS) {
        LOG.warn("egress proxy on port {}: {} connections open, refusing one", port,
            conns.size());
        closeQuietly(ch);
        continue;
      }
      try {
        ch.configureBlocking(false);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        Conn c = new Conn(ch);
        c.clientKey = ch.register(selector, SelectionKey.OP_READ, c);
        conns.add(c);
      } catch (IOException e) {
        LOG.debug("accepting a client", e);
        closeQuietly(ch);
      }
    }
  }

  /** Runs {@code task} on the selector thread. */
  private void handBack(Runnable task) {
    handBack.add(task);
    selector.wakeup();
  }

  private void report(EgressEvent event) {
    LOG.debug("egress denied: {}:{} {}", event.host(), event.port(), event.reason());
    try {
      onDenied.accept(event);
    } catch (RuntimeException e) {
      LOG.warn("egress event listener failed on {}", event, e);
    }
  }

  private static void closeQuietly(java.nio.channels.Channel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException e) {
        LOG.debug("closing a channel", e);
      }
    }
  }

  private static long deadline(Duration d) {
    return System.nanoTime() + d.toNanos();
  }

  /** A request the client could not be served for a reason it is told. */
  private static final class BadRequest extends Exception {
    private static final long serialVersionUID = 1L;

    BadRequest(String detail) {
      super(detail, null, false, false);
    }
  }

  private enum State { HEAD, RESOLVING, CONNECTING, RELAY, RESPONDING, LINGER }

  /** One client connection and, once connected, its destination. Selector thread only. */
  private final class Conn {
    final SocketChannel client;
    SelectionKey clientKey;
    SocketChannel upstream;
    SelectionKey upstreamKey;
    State state = State.HEAD;
    long deadline = deadline(timeouts.head);
    ByteBuffer head = ByteBuffer.allocate(MAX_HEAD_BYTES);
    // Both buffers stay in fill mode: data lies in [0, position).
    ByteBuffer toUpstream;
    ByteBuffer toClient;
    boolean clientEof;
    boolean upstreamEof;
    boolean clientShut;
    boolean upstreamShut;
    // The request, once parsed.
    String host = "";
    int port;
    boolean tunnel;
    byte[] forwardHead; // CONNECT: the 200 answer; else the rewritten request head
    byte[] leftover; // bytes the client sent after its head
    List<InetAddress> candidates = List.of();
    int next;
    boolean closed;

    Conn(SocketChannel client) {
      this.client = client;
    }

    /** Runs one step; an I/O or programming error closes this connection, not the proxy. */
    void guard(IoStep step) {
      try {
        step.run();
      } catch (IOException e) {
        LOG.debug("egress connection {}:{} ended: {}", host, port, e.toString());
        close();
      } catch (RuntimeException e) {
        LOG.warn("egress connection {}:{} failed", host, port, e);
        close();
      }
    }

    void ready(SelectionKey key) {
      guard(() -> {
        switch (state) {
          case HEAD -> readHead();
          case CONNECTING -> {
            if (key == upstreamKey && key.isConnectable()) {
              finishConnect();
            }
          }
          case RELAY -> pump();
          case RESPONDING -> writeResponse();
          case LINGER -> linger();
          default -> key.interestOps(0);
        }
      });
    }

    void expired() throws IOException {
      switch (state) {
        case RESOLVING -> respond(504, "Gateway Timeout", "name lookup of " + host
            + " took longer than " + timeouts.connect.toSeconds() + " s");
        case CONNECTING -> {
          LOG.debug("egress connect to {} port {} timed out", candidates.get(next - 1), port);
          closeUpstream();
          connectNext();
        }
        default -> close(); // no head in time, idle relay, or a client not reading an error
      }
    }

    // ---- request head ----

    void readHead() throws IOException {
      int n = client.read(head);
      int end = headEnd();
      if (end >= 0) {
        clientKey.interestOps(0); // the rest waits in the kernel until connected
        try {
          parse(end);
        } catch (BadRequest e) {
          badRequest(e.getMessage());
        }
      } else if (n < 0) {
        if (head.position() == 0) {
          close(); // connected and left: not a request
        } else {
          badRequest("request head ends before its blank line");
        }
      } else if (!head.hasRemaining()) {
        badRequest("request head over " + MAX_HEAD_BYTES + " bytes");
      }
    }

    /** @return the index just past the head's blank line, or -1 */
    int headEnd() {
      byte[] a = head.array();
      for (int i = 3; i < head.position(); i++) {
        if (a[i] == '\n' && a[i - 1] == '\r' && a[i - 2] == '\n' && a[i - 3] == '\r') {
          return i + 1;
        }
      }
      return -1;
    }

    void parse(int end) throws BadRequest, IOException {
      byte[] a = head.array();
      leftover = java.util.Arrays.copyOfRange(a, end, head.position());
      String text = new String(a, 0, end - 4, StandardCharsets.ISO_8859_1);
      head = null;
      String[] lines = text.split("\r\n", -1);
      String[] requestLine = lines[0].split(" ", -1);
      if (requestLine.length != 3 || !TOKEN.matcher(requestLine[0]).matches()
          || !VERSION.matcher(requestLine[2]).matches()) {
        throw new BadRequest("not an HTTP/1.x request line");
      }
      String method = requestLine[0];
      String target = requestLine[1];
      for (int i = 0; i < target.length(); i++) {
        if (target.charAt(i) <= ' ' || target.charAt(i) >= 0x7f) {
          // It would be copied into the forwarded request line: no header injection.
          throw new BadRequest("control or non-ASCII character in the request target");
        }
      }
      List<String[]> headers = new ArrayList<>();
      for (int i = 1; i < lines.length; i++) {
        String line = lines[i];
        int colon = line.indexOf(':');
        if (colon <= 0 || !TOKEN.matcher(line.substring(0, colon)).matches()) {
          throw new BadRequest("malformed header line");
        }
        for (int j = 0; j < line.length(); j++) {
          char c = line.charAt(j);
          if (c == '\r' || c == '\n' || c == 0) {
            throw new BadRequest("control character in a header");
          }
        }
        headers.add(new String[] {line.substring(0, colon), line.substring(colon + 1).trim()});
      }
      String authority;
      String path = null;
      if (method.equals("CONNECT")) {
        tunnel = true;
        authority = target;
        parseAuthority(authority, -1);
        forwardHead = "HTTP/1.1 200 Connection established\r\n\r\n"
            .getBytes(StandardCharsets.ISO_8859_1);
      } else {
        if (!target.regionMatches(true, 0, "http://", 0, 7)) {
          throw new BadRequest(target.regionMatches(true, 0, "https://", 0, 8)
              ? "https:// URIs must use CONNECT" : "not an absolute http:// URI");
        }
        int slash = 7;
        while (slash < target.length() && "/?#".indexOf(target.charAt(slash)) < 0) {
          slash++;
        }
        authority = target.substring(7, slash);
        path = target.substring(slash);
        if (path.isEmpty()) {
          path = "/";
        } else if (path.charAt(0) != '/') {
          path = "/" + path;
        }
        if (path.indexOf('#') >= 0) {
          throw new BadRequest("fragment in the request URI");
        }
        parseAuthority(authority, 80);
        forwardHead = rewrite(method, path, requestLine[2], authority, headers);
      }
      decide();
    }

    void parseAuthority(String authority, int defaultPort) throws BadRequest {
      if (authority.indexOf('@') >= 0) {
        throw new BadRequest("user information in the authority");
      }
      String hostText;
      String portText;
      if (authority.startsWith("[")) {
        int close = authority.indexOf(']');
        if (close < 0) {
          throw new BadRequest("unclosed '[' in the authority");
        }
        hostText = authority.substring(0, close + 1);
        String after = authority.substring(close + 1);
        if (!after.isEmpty() && !after.startsWith(":")) {
          throw new BadRequest("junk after ']' in the authority");
        }
        portText = after.isEmpty() ? null : after.substring(1);
      } else {
        int colon = authority.indexOf(':');
        if (colon >= 0 && authority.indexOf(':', colon + 1) >= 0) {
          throw new BadRequest("IPv6 address without brackets");
        }
        hostText = colon < 0 ? authority : authority.substring(0, colon);
        portText = colon < 0 ? null : authority.substring(colon + 1);
      }
      host = hostText;
      if (portText == null) {
        if (defaultPort < 0) {
          throw new BadRequest("CONNECT target without a port");
        }
        port = defaultPort;
      } else if (!DIGITS.matcher(portText).matches() || Integer.parseInt(portText) < 1
          || Integer.parseInt(portText) > 65535) {
        throw new BadRequest("port is not in 1..65535");
      } else {
        port = Integer.parseInt(portText);
      }
      if (EgressPolicy.parseLiteral(hostText) == null) {
        if (hostText.startsWith("[")) {
          throw new BadRequest("malformed IPv6 literal");
        }
        if (!EgressPolicy.isValidName(hostText)) {
          throw new BadRequest("malformed host name");
        }
      }
    }

    byte[] rewrite(String method, String path, String version, String authority,
        List<String[]> headers) {
      // Hop-by-hop headers: the fixed ones and any the client names in Connection.
      Set<String> drop = new HashSet<>(List.of("host", "connection", "keep-alive"));
      for (String[] h : headers) {
        if (h[0].equalsIgnoreCase("connection")) {
          for (String t : h[1].split(",")) {
            drop.add(t.trim().toLowerCase(Locale.ROOT));
          }
        }
      }
      StringBuilder b = new StringBuilder(method).append(' ').append(path).append(' ')
          .append(version).append("\r\n");
      // RFC 9112 3.2.2: a proxy sends the target URI's authority as Host.
      b.append("Host: ").append(authority).append("\r\n");
      for (String[] h : headers) {
        String name = h[0].toLowerCase(Locale.ROOT);
        if (!drop.contains(name) && !name.startsWith("proxy-")) {
          b.append(h[0]).append(": ").append(h[1]).append("\r\n");
        }
      }
      b.append("Connection: close\r\n\r\n");
      return b.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    // ---- policy, lookup, connect ----

    void decide() throws IOException {
      InetAddress literal = EgressPolicy.parseLiteral(host);
      if (literal != null) {
        if (isSelf(List.of(literal))) {
          deny(new EgressPolicy.Decision(false, "the proxy itself", literal.getHostAddress()));
          return;
        }
        EgressPolicy.Decision d = policy.checkAddress(literal, port);
        if (!d.allowed()) {
          deny(d);
          return;
        }
        candidates = List.of(literal);
        connectNext();
        return;
      }
      EgressPolicy.Decision d = policy.checkName(host, port);
      if (!d.allowed()) {
        deny(d); // refused before lookup: a DNS query can carry data out too
        return;
      }
      state = State.RESOLVING;
      deadline = deadline(timeouts.connect);
      String name = host;
      try {
        resolverPool.execute(() -> {
          List<InetAddress> answer = null;
          Exception failure = null;
          try {
            answer = List.copyOf(resolver.resolve(name));
          } catch (Exception e) {
            failure = e;
          }
          List<InetAddress> a = answer;
          Exception f = failure;
          handBack(() -> guard(() -> resolved(a, f)));
        });
      } catch (RejectedExecutionException e) {
        respond(503, "Service Unavailable", "too many name lookups in progress");
      }
    }

    void resolved(List<InetAddress> answer, Exception failure) throws IOException {
      if (closed || state != State.RESOLVING) {
        return; // timed out or closed meanwhile
      }
      if (failure != null) {
        LOG.debug("egress lookup of {} failed", host, failure);
        respond(502, "Bad Gateway", "cannot resolve " + host);
        return;
      }
      EgressPolicy.Decision d = policy.check(host, port, answer);
      if (!d.allowed()) {
        deny(d);
      } else if (isSelf(answer)) {
        deny(new EgressPolicy.Decision(false, "the proxy itself", null));
      } else {
        candidates = answer;
        connectNext();
      }
    }

    boolean isSelf(List<InetAddress> addresses) {
      if (port != EgressProxy.this.port) {
        return false;
      }
      for (InetAddress a : addresses) {
        if (a.isLoopbackAddress() || a.isAnyLocalAddress()) {
          return true;
        }
      }
      return false;
    }

    void connectNext() throws IOException {
      while (next < candidates.size()) {
        InetAddress a = candidates.get(next++);
        SocketChannel up = null;
        try {
          up = SocketChannel.open();
          up.configureBlocking(false);
          up.setOption(StandardSocketOptions.TCP_NODELAY, true);
          boolean done = up.connect(new InetSocketAddress(a, port));
          upstream = up;
          upstreamKey = up.register(selector, done ? 0 : SelectionKey.OP_CONNECT, this);
          state = State.CONNECTING;
          deadline = deadline(timeouts.connect);
          if (done) {
            connected();
          }
          return;
        } catch (IOException e) {
          LOG.debug("egress connect to {} port {} failed: {}", a, port, e.toString());
          closeQuietly(up);
          upstream = null;
          upstreamKey = null;
        }
      }
      respond(502, "Bad Gateway", "cannot connect to " + host + " port " + port);
    }

    void finishConnect() throws IOException {
      try {
        if (!upstream.finishConnect()) {
          return;
        }
      } catch (IOException e) {
        LOG.debug("egress connect to {} port {} failed: {}", candidates.get(next - 1), port,
            e.toString());
        closeUpstream();
        connectNext();
        return;
      }
      connected();
    }

    void connected() throws IOException {
      state = State.RELAY;
      deadline = deadline(timeouts.idle);
      toClient = ByteBuffer.allocate(BUFFER_BYTES);
      if (tunnel) {
        toUpstream = ByteBuffer.allocate(Math.max(BUFFER_BYTES, leftover.length));
        toClient.put(forwardHead);
      } else {
        toUpstream = ByteBuffer.allocate(
            Math.max(BUFFER_BYTES, forwardHead.length + leftover.length));
        toUpstream.put(forwardHead);
      }
      toUpstream.put(leftover);
      forwardHead = null;
      leftover = null;
      pump();
    }

    // ---- relay ----

    /** Moves what it can both ways, half-closes after end of file, closes when both done. */
    void pump() throws IOException {
      boolean moved = false;
      if (!clientEof && toUpstream.hasRemaining()) {
        int n = client.read(toUpstream);
        clientEof = n < 0;
        moved |= n > 0;
      }
      if (!upstreamEof && toClient.hasRemaining()) {
        int n = upstream.read(toClient);
        upstreamEof = n < 0;
        moved |= n > 0;
      }
      moved |= drain(toUpstream, upstream);
      moved |= drain(toClient, client);
      if (clientEof && toUpstream.position() == 0 && !upstreamShut) {
        upstream.shutdownOutput();
        upstreamShut = true;
      }
      if (upstreamEof && toClient.position() == 0 && !clientShut) {
        client.shutdownOutput();
        clientShut = true;
      }
      if (clientShut && upstreamShut) {
        close();
        return;
      }
      if (moved) {
        deadline = deadline(timeouts.idle);
      }
      clientKey.interestOps((!clientEof && toUpstream.hasRemaining() ? SelectionKey.OP_READ : 0)
          | (toClient.position() > 0 ? SelectionKey.OP_WRITE : 0));
      upstreamKey.interestOps(
          (!upstreamEof && toClient.hasRemaining() ? SelectionKey.OP_READ : 0)
              | (toUpstream.position() > 0 ? SelectionKey.OP_WRITE : 0));
    }

    boolean drain(ByteBuffer buf, SocketChannel to) throws IOException {
      if (buf.position() == 0) {
        return false;
      }
      buf.flip();
      int n = to.write(buf);
      buf.compact();
      return n > 0;
    }

    // ---- refusals and errors ----

    void deny(EgressPolicy.Decision d) throws IOException {
      report(new EgressEvent(Instant.now(), host, port, d.address(), d.reason()));
      respond(403, "Forbidden", d.reason());
    }

    void badRequest(String detail) throws IOException {
      String reason = "bad request: " + detail;
      report(new EgressEvent(Instant.now(), host, port, null, reason));
      respond(400, "Bad Request", reason);
    }

    void respond(int code, String status, String reason) throws IOException {
      closeUpstream();
      byte[] body = (reason + "\n").getBytes(StandardCharsets.UTF_8);
      byte[] headBytes = ("HTTP/1.1 " + code + " " + status + "\r\n"
          + "Content-Type: text/plain; charset=utf-8\r\n"
          + "Content-Length: " + body.length + "\r\n"
          + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
      toClient = ByteBuffer.allocate(headBytes.length + body.length).put(headBytes).put(body);
      head = null;
      state = State.RESPONDING;
      deadline = deadline(timeouts.linger);
      writeResponse();
    }

    void writeResponse() throws IOException {
      drain(toClient, client);
      if (toClient.position() > 0) {
        clientKey.interestOps(SelectionKey.OP_WRITE);
        return;
      }
      client.shutdownOutput();
      state = State.LINGER;
      deadline = deadline(timeouts.linger);
      clientKey.interestOps(SelectionKey.OP_READ);
      linger();
    }

    void linger() throws IOException {
      int n;
      do {
        discard.clear();
        n = client.read(discard);
      } while (n > 0);
      if (n < 0) {
        close();
      }
    }

    void closeUpstream() {
      if (upstreamKey != null) {
        upstreamKey.cancel();
        upstreamKey = null;
      }
      closeQuietly(upstream);
      upstream = null;
    }

    void close() {
      if (closed) {
        return;
      }
      closed = true;
      conns.remove(this);
      closeUpstream();
      closeQuietly(client);
    }
  }

  @FunctionalInterface
  private interface IoStep {
    void run() throws IOException;
  }
}
