package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.NotEmpty;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

/** Whatever argv and environment a spec holds reach the guest unchanged, framed as the agent reads them. */
class SpecFramePropertyTest {

  @Property(tries = 200)
  void argvAndEnvSurviveFramingExactly(
      @ForAll @Size(min = 1, max = 8) List<@NotEmpty @StringLength(max = 40) @CharRange(from = 1, to = 0x2FFF) String> argv,
      @ForAll @Size(max = 5) Map<@NotEmpty @StringLength(max = 10) @AlphaChars String,
          @StringLength(max = 30) @CharRange(from = 1, to = 0x2FFF) String> env) throws IOException {
    SandboxSpec spec = SandboxSpec.builder().root(Rootfs.directory(Path.of("/tmp"))).argv(argv).env(env).build();
    byte[] payload = GuestPlan.compile(spec).specFrame();

    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    ControlProtocol.write(wire, ControlProtocol.SPEC, payload);
    ControlProtocol.Frame frame = ControlProtocol.read(new DataInputStream(new ByteArrayInputStream(wire.toByteArray())));
    assertEquals(ControlProtocol.SPEC, frame.type());

    List<String> gotArgv = new ArrayList<>();
    Map<String, String> gotEnv = new LinkedHashMap<>();
    ByteBuffer b = ByteBuffer.wrap(frame.payload());
    while (b.hasRemaining()) {
      char tag = (char) b.get();
      byte[] v = new byte[b.getInt()];
      b.get(v);
      String value = new String(v, StandardCharsets.UTF_8);
      if (tag == 'a') {
        gotArgv.add(value);
      } else if (tag == 'e') {
        gotEnv.put(value.substring(0, value.indexOf('=')), value.substring(value.indexOf('=') + 1));
      }
    }
    assertEquals(argv, gotArgv);
    assertEquals(spec.env(), gotEnv);
  }
}
