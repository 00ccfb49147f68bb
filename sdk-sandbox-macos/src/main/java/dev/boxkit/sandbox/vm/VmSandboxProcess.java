package dev.boxkit.sandbox.vm;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.SandboxException;
import dev.boxkit.sandbox.SandboxProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A VM sandbox running on its own thread. {@link #pid()} is the hypervisor's pid; signals go to
 * the program over the control channel; closing kills the VM.
 */
final class VmSandboxProcess implements SandboxProcess {
  /** Bytes buffered per piped output stream before the VM waits for the reader. */
  private static final int PIPE_BUFFER_BYTES = 1 << 16;

  private final VmSession session;
  private final PipedInputStream stdout;
  private final PipedInputStream stderr;
  private final CompletableFuture<ExecResult> result = new CompletableFuture<>();
  private final OutputStream stdin;

  private VmSandboxProcess(VmSession session, boolean pipeIn, boolean pipeOut, boolean pipeErr) {
    this.session = session;
    this.stdin = pipeIn ? new StdinStream(session) : null;
    this.stdout = pipeOut ? new PipedInputStream(PIPE_BUFFER_BYTES) : null;
    this.stderr = pipeErr ? new PipedInputStream(PIPE_BUFFER_BYTES) : null;
  }

  /**
   * Starts the VM on a new daemon thread (if the JVM exits, the control channel closes and the
   * guest agent kills the program and powers off).
   */
  static VmSandboxProcess start(VmSession session, GuestPlan plan, boolean pipeIn, boolean pipeOut,
      OutputStream out, boolean pipeErr, OutputStream err, Duration timeout) {
    VmSandboxProcess p = new VmSandboxProcess(session, pipeIn, pipeOut, pipeErr);
    try {
      OutputStream o = pipeOut ? new PipedOutputStream(p.stdout) : out;
      OutputStream e = pipeErr ? new PipedOutputStream(p.stderr) : err;
      long begin = System.nanoTime();
      Thread t = new Thread(() -> {
        try (o; e) {
          VmSession.Outcome r = session.run(plan, o, e, timeout);
          p.result.complete(new ExecResult(r.exitCode(), r.signal() == 0 ? OptionalInt.empty() : OptionalInt.of(r.signal()),
              new byte[0], new byte[0], Duration.ofNanos(System.nanoTime() - begin), OptionalLong.empty(), false,
              r.timedOut(), session.network().denied()));
        } catch (RuntimeException | IOException ex) {
          p.result.completeExceptionally(ex);
        }
      }, "boxkit-vm");
      t.setDaemon(true);
      t.start();
    } catch (IOException ex) {
      throw new SandboxException("connecting the VM's output pipes", ex);
    }
    return p;
  }

  @Override
  public long pid() {
    try {
      return session.started().join().pid();
    } catch (CompletionException e) {
      throw unwrap(e.getCause());
    }
  }

  @Override
  public OutputStream stdin() {
    if (stdin == null) {
      throw new IllegalStateException("stdin is not a pipe");
    }
    return stdin;
  }

  /** The program's stdin as frames on the control channel; closing sends end of file once. */
  private static final class StdinStream extends OutputStream {
    private final VmSession session;
    private boolean closed;

    StdinStream(VmSession session) {
      this.session = session;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
      if (closed) {
        throw new IOException("stdin is closed");
      }
      session.writeStdin(b, off, len);
    }

    @Override
    public synchronized void close() throws IOException {
      if (!closed) {
        closed = true;
        session.closeStdin();
      }
    }
  }

  @Override
  public InputStream stdout() {
    if (stdout == null) {
      throw new IllegalStateException("stdout is not a pipe");
    }
    return stdout;
  }

  @Override
  public InputStream stderr() {
    if (stderr == null) {
      throw new IllegalStateException("stderr is not a pipe");
    }
    return stderr;
  }

  @Override
  public ExecResult waitFor() {
    try {
      return result.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxException("interrupted while waiting for the VM sandbox", e);
    } catch (ExecutionException e) {
      throw unwrap(e.getCause());
    }
  }

  @Override
  public Optional<ExecResult> waitFor(Duration timeout) {
    try {
      return Optional.of(result.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
    } catch (TimeoutException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxException("interrupted while waiting for the VM sandbox", e);
    } catch (ExecutionException e) {
      throw unwrap(e.getCause());
    }
  }

  @Override
  public CompletableFuture<ExecResult> onExit() {
    return result.copy();
  }

  /**
   * {@inheritDoc}
   *
   * <p>The listener is bound before the VM boots; connections made before the program listens
   * are closed at once, as with the namespaces backend.
   */
  @Override
  public int mappedPort(int sandboxPort) {
    return session.network().mappedPort(sandboxPort);
  }

  @Override
  public void signal(int signal) {
    session.signal(signal);
  }

  @Override
  public void kill() {
    session.kill();
  }

  @Override
  public void close() {
    kill();
    try {
      result.handle((r, e) -> null).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      // handled above: the outcome no longer matters once closed
    }
  }

  private static SandboxException unwrap(Throwable t) {
    return t instanceof SandboxException s ? s : new SandboxException("VM sandbox failed: " + t, t);
  }
}
