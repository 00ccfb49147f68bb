package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.SandboxException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** vfkit's REST calls, byte for byte, against a stand-in server on a real Unix socket. */
class VfkitRestTest {
  @TempDir Path tmp;

  /** Serves one connection: records the request (headers plus Content-Length body) and sends {@code reply}. */
  private CompletableFuture<String> serveOnce(Path socket, String reply) throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    return CompletableFuture.supplyAsync(() -> {
      try (server; SocketChannel ch = server.accept()) {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(1024);
        while (!complete(got.toString(StandardCharsets.US_ASCII)) && ch.read(buf) >= 0) {
          got.write(buf.array(), 0, buf.position());
          buf.clear();
        }
        ch.write(ByteBuffer.wrap(reply.getBytes(StandardCharsets.US_ASCII)));
        return got.toString(StandardCharsets.US_ASCII);
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
  }

  private static boolean complete(String req) {
    int end = req.indexOf("\r\n\r\n");
    if (end < 0) {
      return false;
    }
    int cl = req.indexOf("Content-Length: ");
    return cl < 0 || req.length() - end - 4 >= Integer.parseInt(req.substring(cl + 16, req.indexOf("\r\n", cl)));
  }

  @Test
  void getStateSendsTheExactRequestAndReadsTheState() throws Exception {
    Path socket = tmp.resolve("rest.sock");
    String body = "{\"state\":\"VirtualMachineStateRunning\",\"canStart\":false,\"canPause\":true,"
        + "\"canResume\":false,\"canStop\":true,\"canHardStop\":true}";
    CompletableFuture<String> request = serveOnce(socket, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + body.length() + "\r\n\r\n" + body);
    assertEquals("VirtualMachineStateRunning", new VfkitRest(socket).state());
    assertEquals("GET /vm/state HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        request.get(10, TimeUnit.SECONDS));
  }

  @Test
  void hardStopPostsTheNewStateAndAcceptsAChunkedReply() throws Exception {
    Path socket = tmp.resolve("rest.sock");
    CompletableFuture<String> request = serveOnce(socket,
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
    new VfkitRest(socket).changeState("HardStop");
    assertEquals("POST /vm/state HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        + "Content-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"state\":\"HardStop\"}",
        request.get(10, TimeUnit.SECONDS));
  }

  @Test
  void anErrorStatusOrAnUnknownStateIsRefused() throws Exception {
    Path socket = tmp.resolve("rest.sock");
    serveOnce(socket, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
    SandboxException e = assertThrows(SandboxException.class, () -> new VfkitRest(socket).changeState("Stop"));
    assertTrue(e.getMessage().contains("500 Internal Server Error"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new VfkitRest(socket).changeState("Explode"));
  }
}
