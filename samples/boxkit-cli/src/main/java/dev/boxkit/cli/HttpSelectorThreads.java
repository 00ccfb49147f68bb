package dev.boxkit.cli;

/**
 * Ends the selector threads of {@code java.net.http.HttpClient}s before the JVM exits. Such a
 * thread waits for network events in native code, and a JDK 17 JVM gives threads in native code
 * 0.3 s to return before it exits: every command that talked to a registry would end 0.3 s late.
 * Interrupting the thread makes its loop shut the client down and end (JDK 21's {@code
 * HttpClient.close()} does the same, but the client must run on 17). Only threads named as the
 * JDK names them ({@code HttpClient-N-SelectorManager}) are touched; with another naming this
 * does nothing and the exit is merely late.
 */
final class HttpSelectorThreads {
  /** How long to wait for each thread to end. */
  private static final long JOIN_MILLIS = 200;

  private HttpSelectorThreads() {}

  /** Interrupts the HTTP selector threads of this thread's group and waits briefly for them. */
  static void end() {
    Thread[] threads = new Thread[Thread.activeCount() + 8];
    int n = Thread.enumerate(threads);
    for (int i = 0; i < n; i++) {
      Thread t = threads[i];
      if (t.getName().startsWith("HttpClient-") && t.getName().endsWith("-SelectorManager")) {
        t.interrupt();
        try {
          t.join(JOIN_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
