package dev.boxkit.sandbox.vm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.boxkit.sandbox.SandboxException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * Client of vfkit's REST endpoint ({@code --restful-uri unix://PATH}): {@code GET /vm/state} and
 * {@code POST /vm/state {"state": ...}} as documented in vfkit's {@code doc/usage.md}. One HTTP/1.1
 * request per connection ({@code Connection: close}), since {@code java.net.http} cannot dial Unix
 * sockets.
 *
 * @param socket the Unix socket vfkit listens on
 */
public record VfkitRest(Path socket) {

  /** States {@link #changeState} accepts. */
  public static final Set<String> NEW_STATES = Set.of("Stop", "HardStop", "Pause", "Resume");


  /** @throws IllegalArgumentException when the socket path is null or relative */
  public VfkitRest {
    if (socket == null || !socket.isAbsolute()) {
      throw new IllegalArgumentException("vfkit REST socket must be an absolute path");
    }
  }

  /**
   * @return the VM's state as vfkit names it, e.g. {@code VirtualMachineStateRunning}
   * @throws SandboxException when vfkit cannot be reached or answers other than 200 with a state
   */
  public String state() {
    byte[] body = exchange(request("GET", "/vm/state", null));
    JsonNode state;
    try {
      state = dev.boxkit.oci.json.OciJson.reader().readTree(body).get("state");
    } catch (IOException e) {
      throw new SandboxException("vfkit " + socket + ": GET /vm/state answered no JSON: " + e.getMessage(), e);
    }
    if (state == null || !state.isTextual()) {
      throw new SandboxException("vfkit " + socket + ": GET /vm/state answered without a state");
    }
    return state.asText();
  }

  /**
   * @param newState one of {@link #NEW_STATES}; {@code HardStop} ends the VM at once
   * @throws SandboxException when vfkit cannot be reached or answers other than 200
   * @throws IllegalArgumentException on another state
   */
  public void changeState(String newState) {
    if (!NEW_STATES.contains(newState)) {
      throw new IllegalArgumentException("vfkit VM state must be one of " + NEW_STATES + ", not " + newState);
    }
    exchange(request("POST", "/vm/state", com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("state", newState).toString()));
  }

  /** @return the exact bytes of one request */
  static byte[] request(String method, String path, String jsonBody) {
    StringBuilder r = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n")
        .append("Host: localhost\r\nConnection: close\r\n");
    byte[] body = jsonBody == null ? new byte[0] : jsonBody.getBytes(StandardCharsets.UTF_8);
    if (jsonBody != null) {
      r.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
    }
    r.append("\r\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(r.toString().getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(body);
    return out.toByteArray();
  }

  private byte[] exchange(byte[] request) {
    ByteArrayOutputStream response = new ByteArrayOutputStream();
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      ByteBuffer out = ByteBuffer.wrap(request);
      while (out.hasRemaining()) {
        ch.write(out);
      }
      ByteBuffer in = ByteBuffer.allocate(8192);
      while (ch.read(in) >= 0) {
        response.write(in.array(), 0, in.position());
        in.clear();
      }
    } catch (IOException e) {
      throw new SandboxException("vfkit REST endpoint " + socket + ": " + e.getMessage(), e);
    }
    return body(response.toByteArray());
  }

  /** @return the body of a 200 response, de-chunked */
  private byte[] body(byte[] response) {
    String text = new String(response, StandardCharsets.ISO_8859_1);
    int end = text.indexOf("\r\n\r\n");
    if (end < 0 || !text.startsWith("HTTP/1.1 200") && !text.startsWith("HTTP/1.0 200")) {
      String status = end < 0 ? text : text.substring(0, text.indexOf("\r\n"));
      throw new SandboxException("vfkit REST endpoint " + socket + " answered: " + status);
    }
    String head = text.substring(0, end).toLowerCase(Locale.ROOT);
    String body = text.substring(end + 4);
    if (head.contains("\r\ntransfer-encoding: chunked")) {
      StringBuilder plain = new StringBuilder();
      int pos = 0;
      while (true) {
        int eol = body.indexOf("\r\n", pos);
        int size = Integer.parseInt(body.substring(pos, eol).split(";")[0].trim(), 16);
        if (size == 0) {
          break;
        }
        plain.append(body, eol + 2, eol + 2 + size);
        pos = eol + 2 + size + 2;
      }
      body = plain.toString();
    }
    return body.getBytes(StandardCharsets.ISO_8859_1);
  }
}
