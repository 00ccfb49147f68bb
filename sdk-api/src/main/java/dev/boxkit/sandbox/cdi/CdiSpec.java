package dev.boxkit.sandbox.cdi;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One CDI spec: a vendor's devices of one kind and the edits each needs (CDI {@code SPEC.md},
 * "CDI JSON Specification"). Read one with {@link #read(Path)} or {@link #parse(String, String,
 * boolean)}; every field is checked then, and a bad one is an {@link InvalidCdiSpecException}
 * naming it. Fields this class does not model are tolerated and kept in {@link #document()}.
 *
 * @param origin the file it was read from, or where it came from (e.g. the NVIDIA discovery)
 * @param cdiVersion one of the published versions {@code 0.3.0}-{@code 0.8.0} or {@code 1.0.x}
 * @param kind {@code vendor/class}, e.g. {@code nvidia.com/gpu}
 * @param annotations the spec's annotations; empty when none
 * @param devices the devices, at least one, with distinct names
 * @param containerEdits edits applied once when any device of this spec is requested; {@link
 *     ContainerEdits#NONE} when none
 * @param document the whole document as read, unknown fields included (a copy is returned)
 */
public record CdiSpec(String origin, String cdiVersion, String kind, Map<String, String> annotations,
    List<Device> devices, ContainerEdits containerEdits, JsonNode document) {

  /** The published CDI versions this reader accepts: 0.3.0 to 0.8.0 and 1.0, any patch level. */
  static final Pattern VERSIONS = Pattern.compile("(0\\.[3-8]|1\\.0)\\.(0|[1-9][0-9]*)");

  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();
  private static final ObjectMapper YAML = YAMLMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();

  /** Copies; the document is kept as a private copy. */
  public CdiSpec {
    annotations = Map.copyOf(annotations);
    devices = List.copyOf(devices);
    document = document.deepCopy();
  }

  @Override
  public JsonNode document() {
    return document.deepCopy();
  }

  /**
   * A device of a spec.
   *
   * @param name its name within the spec's kind, unique in the spec
   * @param annotations its annotations; empty when none
   * @param containerEdits edits applied when this device is requested
   */
  public record Device(String name, Map<String, String> annotations, ContainerEdits containerEdits) {
    /** Copies. */
    public Device {
      annotations = Map.copyOf(annotations);
    }
  }

  /**
   * The edits a device (or a whole spec) makes to a sandbox (CDI "OCI Edits").
   *
   * @param env variables as {@code NAME=VALUE}, set in the sandbox (a device's value wins over
   *     the spec's own environment)
   * @param deviceNodes host device nodes shown inside
   * @param mounts host paths bound inside
   * @param hooks programs the spec wants run on the host; BoxKit never runs them (see {@link
   *     dev.boxkit.sandbox.SandboxSpec.Builder#skipCdiHooks()})
   */
  public record ContainerEdits(List<String> env, List<DeviceNode> deviceNodes, List<MountEdit> mounts,
      List<Hook> hooks) {
    /** No edits. */
    public static final ContainerEdits NONE = new ContainerEdits(List.of(), List.of(), List.of(), List.of());

    /** Copies. */
    public ContainerEdits {
      env = List.copyOf(env);
      deviceNodes = List.copyOf(deviceNodes);
      mounts = List.copyOf(mounts);
      hooks = List.copyOf(hooks);
    }
  }

  /**
   * A device node edit.
   *
   * @param path absolute normalised path inside the sandbox
   * @param hostPath absolute normalised host path of the node; null means {@code path}
   * @param type {@code "c"}, {@code "u"} (character) or {@code "b"} (block), checked against the
   *     host node; null for any
   * @param major the major number the host node must have; null for any
   * @param minor the minor number the host node must have; null for any
   * @param fileMode the mode the spec wants the node to have; null when unset (BoxKit binds the
   *     host's own node, so it refuses a mode whose permission bits differ from the node's)
   * @param permissions cgroup access, letters of {@code rwm}; null means {@code rwm}. Without
   *     {@code w} the node is bound read-only (see {@link dev.boxkit.sandbox.Mount.Device})
   * @param uid owner inside the sandbox; null when unset (refused when set, as fileMode)
   * @param gid group inside the sandbox; null when unset (refused when set, as fileMode)
   */
  public record DeviceNode(String path, String hostPath, String type, Long major, Long minor,
      Long fileMode, String permissions, Long uid, Long gid) {
    /** @return {@link #hostPath()}, or {@link #path()} when that is null */
    public String effectiveHostPath() {
      return hostPath != null ? hostPath : path;
    }

    /** @return whether the sandbox may open the node for writing ({@code permissions} has w) */
    public boolean writable() {
      return permissions == null || permissions.indexOf('w') >= 0;
    }
  }

  /**
   * A mount edit. BoxKit applies bind mounts only.
   *
   * @param hostPath absolute normalised host path
   * @param containerPath absolute normalised path inside the sandbox
   * @param type the mount type, or null; only {@code bind}, {@code rbind} or {@code none} with
   *     a bind option are applied
   * @param options OCI mount options; {@code ro} makes the bind read-only
   */
  public record MountEdit(String hostPath, String containerPath, String type, List<String> options) {
    /** Copies. */
    public MountEdit {
      options = List.copyOf(options);
    }
  }

  /**
   * A hook: a host program the spec wants run at an OCI lifecycle point.
   *
   * @param hookName e.g. {@code createContainer}
   * @param path absolute path of the program
   * @param args its argv; empty when unset
   */
  public record Hook(String hookName, String path, List<String> args) {
    /** Copies. */
    public Hook {
      args = List.copyOf(args);
    }
  }

  /**
   * Reads a spec file: {@code .json} as JSON, {@code .yaml} or {@code .yml} as YAML.
   *
   * @param file the spec file
   * @return the spec, with {@link #origin()} the file's path
   * @throws InvalidCdiSpecException naming the field (or {@code document} for a syntax error,
   *     with line and column) when the file is not a valid spec
   * @throws dev.boxkit.sandbox.SandboxException when the file cannot be read
   */
  public static CdiSpec read(Path file) {
    String name = file.getFileName().toString();
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new dev.boxkit.sandbox.SandboxException("reading CDI spec " + file + ": " + e, e);
    }
    return parse(file.toString(), text, !name.endsWith(".json"));
  }

  /**
   * Parses a spec.
   *
   * @param origin where the text came from, quoted in errors
   * @param text the document
   * @param yaml whether {@code text} is YAML (JSON otherwise)
   * @return the spec
   * @throws InvalidCdiSpecException naming the first bad field
   */
  public static CdiSpec parse(String origin, String text, boolean yaml) {
    JsonNode doc;
    try {
      doc = (yaml ? YAML : JSON).readTree(text);
    } catch (JsonProcessingException e) {
      throw new InvalidCdiSpecException(origin, "document", "not valid " + (yaml ? "YAML" : "JSON")
          + ": " + e.getOriginalMessage() + (e.getLocation() != null ? " at line "
          + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() : ""));
    }
    return of(origin, doc);
  }

  /**
   * Validates a document already parsed.
   *
   * @param origin where the document came from, quoted in errors
   * @param doc the document
   * @return the spec
   * @throws InvalidCdiSpecException naming the first bad field
   */
  public static CdiSpec of(String origin, JsonNode doc) {
    return new Reader(origin).spec(doc);
  }

  /** Walks a document, naming each field it refuses by its path from the top. */
  private static final class Reader {
    private final String origin;

    Reader(String origin) {
      this.origin = origin;
    }

    private InvalidCdiSpecException bad(String field, String reason) {
      return new InvalidCdiSpecException(origin, field, reason);
    }

    CdiSpec spec(JsonNode doc) {
      if (doc == null || !doc.isObject()) {
        throw bad("document", "is not an object");
      }
      String version = string(doc, "cdiVersion", "cdiVersion", true);
      if (!VERSIONS.matcher(version).matches()) {
        throw bad("cdiVersion", "\"" + version + "\" is not a published CDI version (0.3.0 to"
            + " 0.8.0, 1.0.x)");
      }
      String kind = string(doc, "kind", "kind", true);
      if (!CdiName.isKind(kind)) {
        throw bad("kind", "\"" + kind + "\" is not vendor.com/class");
      }
      JsonNode devs = doc.get("devices");
      if (devs == null || !devs.isArray() || devs.isEmpty()) {
        throw bad("devices", "must be a non-empty array");
      }
      List<Device> devices = new ArrayList<>();
      Set<String> names = new HashSet<>();
      for (int i = 0; i < devs.size(); i++) {
        String f = "devices[" + i + "]";
        JsonNode d = object(devs.get(i), f);
        String name = string(d, "name", f + ".name", true);
        if (!CdiName.isDeviceName(name)) {
          throw bad(f + ".name", "\"" + name + "\" is not letters, digits, '.', '-', '_' or ':'"
              + " starting and ending with a letter or digit");
        }
        if (!names.add(name)) {
          throw bad(f + ".name", "duplicate device name \"" + name + "\"");
        }
        devices.add(new Device(name, annotations(d, f + ".annotations"),
            edits(d.get("containerEdits"), f + ".containerEdits")));
      }
      return new CdiSpec(origin, version, kind, annotations(doc, "annotations"), devices,
          edits(doc.get("containerEdits"), "containerEdits"), doc);
    }

    private ContainerEdits edits(JsonNode e, String f) {
      if (e == null || e.isNull()) {
        return ContainerEdits.NONE;
      }
      object(e, f);
      List<String> env = new ArrayList<>();
      List<JsonNode> list = array(e, "env", f + ".env");
      for (int i = 0; i < list.size(); i++) {
        String kv = text(list.get(i), f + ".env[" + i + "]");
        int eq = kv.indexOf('=');
        if (eq <= 0 || kv.indexOf('\0') >= 0) {
          throw bad(f + ".env[" + i + "]", "\"" + kv + "\" is not NAME=VALUE");
        }
        env.add(kv);
      }
      List<DeviceNode> nodes = new ArrayList<>();
      list = array(e, "deviceNodes", f + ".deviceNodes");
      for (int i = 0; i < list.size(); i++) {
        nodes.add(node(list.get(i), f + ".deviceNodes[" + i + "]"));
      }
      List<MountEdit> mounts = new ArrayList<>();
      list = array(e, "mounts", f + ".mounts");
      for (int i = 0; i < list.size(); i++) {
        String m = f + ".mounts[" + i + "]";
        JsonNode n = object(list.get(i), m);
        String host = path(n, "hostPath", m + ".hostPath", true);
        String inside = path(n, "containerPath", m + ".containerPath", true);
        String type = string(n, "type", m + ".type", false);
        List<String> options = new ArrayList<>();
        List<JsonNode> opts = array(n, "options", m + ".options");
        for (int j = 0; j < opts.size(); j++) {
          options.add(text(opts.get(j), m + ".options[" + j + "]"));
        }
        mounts.add(new MountEdit(host, inside, type, options));
      }
      List<Hook> hooks = new ArrayList<>();
      list = array(e, "hooks", f + ".hooks");
      for (int i = 0; i < list.size(); i++) {
        String h = f + ".hooks[" + i + "]";
        JsonNode n = object(list.get(i), h);
        String hookName = string(n, "hookName", h + ".hookName", true);
        String path = string(n, "path", h + ".path", true);
        if (!path.startsWith("/")) {
          throw bad(h + ".path", "\"" + path + "\" is not an absolute path");
        }
        List<String> args = new ArrayList<>();
        List<JsonNode> a = array(n, "args", h + ".args");
        for (int j = 0; j < a.size(); j++) {
          args.add(text(a.get(j), h + ".args[" + j + "]"));
        }
        hooks.add(new Hook(hookName, path, args));
      }
      // Edits BoxKit cannot make are refused rather than left out: a device without them
      // might half-work or be less confined than its vendor meant.
      for (String unsupported : List.of("additionalGids", "additionalGIDs", "intelRdt", "netDevices")) {
        JsonNode n = e.get(unsupported);
        if (n != null && !n.isNull() && !n.isEmpty() && !(n.isArray() && allZero(n))) {
          throw bad(f + "." + unsupported, "is not supported by BoxKit (only env, deviceNodes,"
              + " mounts and hooks are)");
        }
      }
      return new ContainerEdits(env, nodes, mounts, hooks);
    }

    /** additionalGids of 0 are ignored by the spec. */
    private static boolean allZero(JsonNode array) {
      for (JsonNode n : array) {
        if (!n.isIntegralNumber() || n.longValue() != 0) {
          return false;
        }
      }
      return true;
    }

    private DeviceNode node(JsonNode raw, String f) {
      JsonNode n = object(raw, f);
      String path = path(n, "path", f + ".path", true);
      String host = path(n, "hostPath", f + ".hostPath", false);
      String type = string(n, "type", f + ".type", false);
      if (type != null && !type.equals("c") && !type.equals("u") && !type.equals("b")) {
        throw bad(f + ".type", "\"" + type + "\" is not c, u or b (a character or block device)");
      }
      String perms = string(n, "permissions", f + ".permissions", false);
      if (perms != null && (!perms.matches("[rwm]{0,3}") || perms.chars().distinct().count() != perms.length())) {
        throw bad(f + ".permissions", "\"" + perms + "\" is not letters of rwm");
      }
      return new DeviceNode(path, host, type, number(n, "major", f + ".major", 0xFFFFFFFFL),
          number(n, "minor", f + ".minor", 0xFFFFFFFFL), number(n, "fileMode", f + ".fileMode", 0xFFFFFFFFL),
          perms, number(n, "uid", f + ".uid", 0xFFFFFFFFL), number(n, "gid", f + ".gid", 0xFFFFFFFFL));
    }

    private Map<String, String> annotations(JsonNode parent, String f) {
      JsonNode a = parent.get(f.substring(f.lastIndexOf('.') + 1));
      if (a == null || a.isNull()) {
        return Map.of();
      }
      object(a, f);
      Map<String, String> out = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        out.put(e.getKey(), text(e.getValue(), f + "." + e.getKey()));
      }
      return Collections.unmodifiableMap(out);
    }

    private JsonNode object(JsonNode n, String f) {
      if (n == null || !n.isObject()) {
        throw bad(f, "must be an object");
      }
      return n;
    }

    private List<JsonNode> array(JsonNode parent, String key, String f) {
      JsonNode a = parent.get(key);
      if (a == null || a.isNull()) {
        return List.of();
      }
      if (!a.isArray()) {
        throw bad(f, "must be an array");
      }
      List<JsonNode> out = new ArrayList<>();
      a.forEach(out::add);
      return out;
    }

    private String text(JsonNode n, String f) {
      if (n == null || !n.isTextual()) {
        throw bad(f, "must be a string");
      }
      return n.textValue();
    }

    private String string(JsonNode parent, String key, String f, boolean required) {
      JsonNode n = parent.get(key);
      if (n == null || n.isNull()) {
        if (required) {
          throw bad(f, "is required");
        }
        return null;
      }
      return text(n, f);
    }

    private String path(JsonNode parent, String key, String f, boolean required) {
      String p = string(parent, key, f, required);
      if (p == null) {
        return null;
      }
      if (!p.startsWith("/") || p.indexOf('\0') >= 0) {
        throw bad(f, "\"" + p + "\" is not an absolute path");
      }
      if (!p.equals("/") && !Path.of(p).normalize().toString().equals(p)) {
        throw bad(f, "\"" + p + "\" is not normalised (empty, '.' or '..' component)");
      }
      return p;
    }

    private Long number(JsonNode parent, String key, String f, long max) {
      JsonNode n = parent.get(key);
      if (n == null || n.isNull()) {
        return null;
      }
      if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0 || n.longValue() > max) {
        throw bad(f, n + " is not an integer in [0, " + max + "]");
      }
      return n.longValue();
    }
  }
}
