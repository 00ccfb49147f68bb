import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Checks a file repository that the release profile deployed to (.ci/release-check.sh), as
 * Maven Central's validation would and a little more:
 *
 * <ul>
 *   <li>exactly the published modules are there: boxkit-parent, boxkit-bom and the five sdk-*
 *       modules; no samples, benchmarks, CLI, it, nor sdk-oci's tests jar;
 *   <li>every POM has, itself or through its parents, name, description, url, licence, scm
 *       (connection, developerConnection, url) and developers, with url and scm the
 *       repository's own (no /artifactId appended); name and description are its own;
 *   <li>every jar has its sources and javadoc jar; every file a .asc signature that gpg
 *       verifies; every jar (main, sources, javadoc) carries META-INF/LICENSE, the root LICENSE;
 *   <li>sdk-sandbox-linux carries the native helper, sdk-sandbox-macos the guest agent, each for
 *       linux-x86_64 and linux-aarch64 (ELF of that machine, matching its recorded SHA-256), and
 *       their sources jars the C sources;
 *   <li>the BOM manages exactly the published jars, at the released version, and has no parent;
 *       no published POM depends (outside test scope) on a BoxKit module that is not published.
 * </ul>
 *
 * Usage: java .ci/ReleaseCheck.java STAGING_REPO PROJECT_ROOT
 */
public class ReleaseCheck {
  static final String GROUP = "dev.boxkit";
  static final String REPO_URL = "https://github.com/boxkit-dev/boxkit";
  static final Set<String> JARS =
      Set.of("sdk-oci", "sdk-api", "sdk-sandbox-linux", "sdk-sandbox-macos", "sdk-junit5");
  static final Set<String> POMS = Set.of("boxkit-parent", "boxkit-bom");
  /** artifactId -> (resource directory, program name, C source) */
  static final Map<String, String[]> NATIVE = Map.of(
      "sdk-sandbox-linux", new String[] {"dev/boxkit/sandbox/linux/native", "boxkit-init", "boxkit-init.c"},
      "sdk-sandbox-macos", new String[] {"dev/boxkit/sandbox/vm/native", "boxkit-vm-agent", "boxkit-vm-agent.c"});
  /** ELF e_machine of each architecture directory. */
  static final Map<String, Integer> ELF_MACHINE = Map.of("linux-x86_64", 62, "linux-aarch64", 183);

  final List<String> failures = new ArrayList<>();
  final Path repo;
  final byte[] license;
  final Map<String, Path> poms = new TreeMap<>();
  int verified;

  ReleaseCheck(Path repo, Path root) throws IOException {
    this.repo = repo;
    this.license = Files.readAllBytes(root.resolve("LICENSE"));
  }

  public static void main(String[] args) throws Exception {
    ReleaseCheck c = new ReleaseCheck(Path.of(args[0]), Path.of(args[1]));
    c.run();
    if (!c.failures.isEmpty()) {
      System.err.println("release-check: " + c.failures.size() + " problem(s):");
      c.failures.forEach(f -> System.err.println("  - " + f));
      System.exit(1);
    }
    System.out.println("release-check: OK: " + c.poms.keySet() + ", " + c.verified
        + " signatures verified");
  }

  void fail(String what) {
    failures.add(what);
  }

  void run() throws Exception {
    Path group = repo.resolve(GROUP.replace('.', '/'));
    Set<String> found = new TreeSet<>();
    if (Files.isDirectory(group)) {
      try (Stream<Path> s = Files.list(group)) {
        s.filter(Files::isDirectory).forEach(p -> found.add(p.getFileName().toString()));
      }
    }
    Set<String> expected = new TreeSet<>(JARS);
    expected.addAll(POMS);
    if (!found.equals(expected)) {
      fail("deployed " + found + ", expected exactly " + expected);
    }
    Map<String, Map<String, Path>> files = new TreeMap<>();
    for (String aid : found) {
      files.put(aid, artifactFiles(group.resolve(aid)));
    }
    for (var e : files.entrySet()) {
      Path pom = e.getValue().get("pom");
      if (pom == null) {
        fail(e.getKey() + ": no POM");
      } else {
        poms.put(e.getKey(), pom);
      }
    }
    for (var e : files.entrySet()) {
      checkArtifact(e.getKey(), e.getValue());
    }
  }

  /** The newest deployed file of each [classifier.]extension, signatures included. */
  Map<String, Path> artifactFiles(Path dir) throws IOException {
    Map<String, Path> out = new TreeMap<>();
    List<Path> versions;
    try (Stream<Path> s = Files.list(dir)) {
      versions = s.filter(Files::isDirectory).collect(Collectors.toList());
    }
    if (versions.size() != 1) {
      fail(dir.getFileName() + ": " + versions.size() + " versions deployed, expected 1");
      if (versions.isEmpty()) {
        return out;
      }
    }
    Path vdir = versions.get(0);
    String aid = dir.getFileName().toString();
    String version = vdir.getFileName().toString();
    String base = version.endsWith("-SNAPSHOT") ? version.substring(0, version.length() - 9) : version;
    // aid-1.0.jar, aid-1.0-SNAPSHOT-sources.jar, aid-1.0-20260101.120000-3-javadoc.jar.asc
    Pattern name = Pattern.compile(Pattern.quote(aid + "-" + base)
        + "(?:-SNAPSHOT|-(\\d{8}\\.\\d{6}-\\d+))?(?:-([a-z]+))?\\.([a-z]+(?:\\.asc)?)");
    Map<String, String> stamp = new TreeMap<>();
    try (Stream<Path> s = Files.list(vdir)) {
      for (Path f : (Iterable<Path>) s::iterator) {
        Matcher m = name.matcher(f.getFileName().toString());
        if (!m.matches()) {
          continue; // maven-metadata*.xml, checksums
        }
        String key = (m.group(2) == null ? "" : m.group(2) + ".") + m.group(3);
        String ts = m.group(1) == null ? "" : m.group(1);
        if (!out.containsKey(key) || ts.compareTo(stamp.get(key)) > 0) {
          out.put(key, f);
          stamp.put(key, ts);
        }
      }
    }
    return out;
  }

  void checkArtifact(String aid, Map<String, Path> f) throws Exception {
    if (f.containsKey("tests.jar")) {
      fail(aid + ": a tests jar was deployed (test fixtures are not published)");
    }
    for (var e : f.entrySet()) {
      if (!e.getKey().endsWith(".asc")) {
        Path asc = f.get(e.getKey() + ".asc");
        if (asc == null) {
          fail(aid + ": " + e.getValue().getFileName() + " has no .asc signature");
        } else {
          verifySignature(aid, e.getValue(), asc);
        }
      }
    }
    Path pomFile = f.get("pom");
    if (pomFile != null) {
      checkPom(aid, pomFile);
    }
    if (JARS.contains(aid)) {
      for (String k : List.of("jar", "sources.jar", "javadoc.jar")) {
        Path jar = f.get(k);
        if (jar == null) {
          fail(aid + ": no " + k);
          continue;
        }
        try (ZipFile z = new ZipFile(jar.toFile())) {
          ZipEntry l = z.getEntry("META-INF/LICENSE");
          if (l == null) {
            fail(aid + ": " + jar.getFileName() + " has no META-INF/LICENSE");
          } else if (!java.util.Arrays.equals(read(z, l), license)) {
            fail(aid + ": " + jar.getFileName() + ": META-INF/LICENSE differs from LICENSE");
          }
          if (k.equals("javadoc.jar") && z.stream().noneMatch(x -> x.getName().endsWith("index.html"))) {
            fail(aid + ": " + jar.getFileName() + " has no index.html");
          }
          if (k.equals("sources.jar") && z.stream().noneMatch(x -> x.getName().endsWith(".java"))) {
            fail(aid + ": " + jar.getFileName() + " has no .java file");
          }
          if (NATIVE.containsKey(aid)) {
            checkNative(aid, k, z);
          }
        }
      }
    } else if (f.keySet().stream().anyMatch(k -> k.endsWith("jar"))) {
      fail(aid + ": POM-only module deployed jars " + f.keySet());
    }
  }

  void checkNative(String aid, String kind, ZipFile z) throws IOException {
    String[] n = NATIVE.get(aid);
    if (kind.equals("sources.jar")) {
      if (z.getEntry(n[2]) == null) {
        fail(aid + ": sources jar lacks the C source " + n[2]);
      }
      return;
    }
    if (!kind.equals("jar")) {
      return;
    }
    for (var arch : ELF_MACHINE.entrySet()) {
      String res = n[0] + "/" + arch.getKey() + "/" + n[1];
      ZipEntry bin = z.getEntry(res);
      ZipEntry sha = z.getEntry(res + ".sha256");
      if (bin == null || sha == null) {
        fail(aid + ": jar lacks " + res + (sha == null ? " (or its .sha256)" : ""));
        continue;
      }
      byte[] b = read(z, bin);
      String recorded = new String(read(z, sha), java.nio.charset.StandardCharsets.US_ASCII).trim();
      String actual;
      try {
        actual = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
      if (!actual.equals(recorded)) {
        fail(aid + ": " + res + " sha256 " + actual + ", recorded " + recorded);
      }
      // ELF64 little-endian, e_machine at offset 18.
      boolean elf = b.length > 20 && b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F' && b[4] == 2 && b[5] == 1;
      int machine = elf ? (b[18] & 0xff) | (b[19] & 0xff) << 8 : -1;
      if (machine != arch.getValue()) {
        fail(aid + ": " + res + " is not a 64-bit little-endian ELF for " + arch.getKey()
            + " (e_machine " + machine + ", expected " + arch.getValue() + ")");
      }
    }
  }

  void verifySignature(String aid, Path file, Path asc) throws Exception {
    Process p = new ProcessBuilder("gpg", "--batch", "--verify", asc.toString(), file.toString())
        .redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      fail(aid + ": gpg --verify " + asc.getFileName() + " failed: " + new String(out).trim());
    } else {
      verified++;
    }
  }

  // ---- POMs ----

  static Document parse(Path pom) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(false);
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return f.newDocumentBuilder().parse(pom.toFile());
  }

  static Element child(Element e, String name) {
    if (e == null) {
      return null;
    }
    for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element && n.getNodeName().equals(name)) {
        return (Element) n;
      }
    }
    return null;
  }

  static String text(Element e, String... path) {
    Element x = e;
    for (String p : path) {
      x = child(x, p);
    }
    return x == null ? null : x.getTextContent().trim();
  }

  static List<Element> children(Element e, String name) {
    List<Element> out = new ArrayList<>();
    if (e != null) {
      for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
        if (n instanceof Element && n.getNodeName().equals(name)) {
          out.add((Element) n);
        }
      }
    }
    return out;
  }

  /** The effective value of an inherited URL-like field, with Maven's append-path rule. */
  String inheritedUrl(Element project, String aid, String attr, String... path) throws Exception {
    String own = text(project, path);
    if (own != null) {
      return own;
    }
    Element parent = child(project, "parent");
    if (parent == null) {
      return null;
    }
    String paid = text(parent, "artifactId");
    Path ppom = poms.get(paid);
    if (ppom == null || !GROUP.equals(text(parent, "groupId"))) {
      fail(aid + ": parent " + text(parent, "groupId") + ":" + paid + " is not published with it");
      return null;
    }
    Element pp = parse(ppom).getDocumentElement();
    String v = inheritedUrl(pp, paid, attr, path);
    Element holder = path.length == 1 ? pp : child(pp, path[0]);
    boolean append = holder == null || !"false".equals(holder.getAttribute(attr));
    return v == null ? null : append ? v + "/" + aid : v;
  }

  /** A list-valued field (licenses, developers) of the POM or its nearest parent that has it. */
  List<Element> inheritedList(Element project, String aid, String container, String item) throws Exception {
    List<Element> own = children(child(project, container), item);
    if (!own.isEmpty()) {
      return own;
    }
    Element parent = child(project, "parent");
    if (parent == null || !poms.containsKey(text(parent, "artifactId"))) {
      return own;
    }
    String paid = text(parent, "artifactId");
    return inheritedList(parse(poms.get(paid)).getDocumentElement(), paid, container, item);
  }

  void checkPom(String aid, Path pomFile) throws Exception {
    Element p = parse(pomFile).getDocumentElement();
    String version = text(p, "version");
    if (version == null) {
      version = text(p, "parent", "version");
    }
    for (String f : List.of("name", "description")) {
      String v = text(p, f);
      if (v == null || v.isEmpty()) {
        fail(aid + ": POM has no <" + f + "> of its own");
      }
    }
    String url = inheritedUrl(p, aid, "child.project.url.inherit.append.path", "url");
    if (!REPO_URL.equals(url)) {
      fail(aid + ": url is " + url + ", expected " + REPO_URL);
    }
    Map<String, String> scm = new LinkedHashMap<>();
    scm.put("connection", "scm:git:" + REPO_URL + ".git");
    scm.put("developerConnection", "scm:git:ssh://git@github.com/boxkit-dev/boxkit.git");
    scm.put("url", REPO_URL);
    for (var e : scm.entrySet()) {
      String v = inheritedUrl(p, aid, "child.scm." + e.getKey() + ".inherit.append.path", "scm", e.getKey());
      if (!e.getValue().equals(v)) {
        fail(aid + ": scm " + e.getKey() + " is " + v + ", expected " + e.getValue());
      }
    }
    List<Element> licenses = inheritedList(p, aid, "licenses", "license");
    if (licenses.isEmpty() || licenses.stream().anyMatch(l -> text(l, "name") == null || text(l, "url") == null)) {
      fail(aid + ": no licence with name and url");
    } else if (licenses.stream().noneMatch(l -> text(l, "name").contains("Apache"))) {
      fail(aid + ": licence is not Apache-2.0");
    }
    List<Element> devs = inheritedList(p, aid, "developers", "developer");
    if (devs.isEmpty() || devs.stream().anyMatch(d -> text(d, "name") == null)) {
      fail(aid + ": no developers with a name");
    }
    // Published POMs depend on no unpublished BoxKit module (test scope aside).
    for (Element deps : List.of(p)) {
      for (Element d : children(child(deps, "dependencies"), "dependency")) {
        String g = text(d, "groupId");
        String a = text(d, "artifactId");
        String scope = text(d, "scope");
        if (GROUP.equals(g) && !"test".equals(scope) && !JARS.contains(a)) {
          fail(aid + ": depends on " + g + ":" + a + ", which is not published");
        }
      }
    }
    if (aid.equals("boxkit-bom")) {
      if (child(p, "parent") != null) {
        fail("boxkit-bom has a parent: importing it would import the parent's dependencyManagement");
      }
      Set<String> managed = new TreeSet<>();
      for (Element d : children(child(child(p, "dependencyManagement"), "dependencies"), "dependency")) {
        String coord = text(d, "groupId") + ":" + text(d, "artifactId");
        String v = text(d, "version");
        if (!GROUP.equals(text(d, "groupId")) || !(version.equals(v) || "${project.version}".equals(v))) {
          fail("boxkit-bom manages " + coord + ":" + v + ", expected only " + GROUP + " modules at " + version);
        }
        managed.add(text(d, "artifactId"));
      }
      if (!managed.equals(new TreeSet<>(JARS))) {
        fail("boxkit-bom manages " + managed + ", expected the published jars " + new TreeSet<>(JARS));
      }
    }
  }

  static byte[] read(ZipFile z, ZipEntry e) throws IOException {
    try (InputStream in = z.getInputStream(e)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    }
  }
}
