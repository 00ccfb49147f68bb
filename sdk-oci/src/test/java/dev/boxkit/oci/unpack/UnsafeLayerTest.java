package dev.boxkit.oci.unpack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hand-built hostile layers. Every test ends (in {@link #nothingChangedOutsideTheTarget}) by
 * checking that the jail around the target is exactly as before: no file, mode, link count or
 * byte outside the target changed, and no temporary directory was left behind.
 */
class UnsafeLayerTest {
  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

  private Jail jail;
  private Path layers;
  private String token;
  private Map<String, String> before;

  @BeforeEach
  void setUp() throws IOException {
    jail = new Jail();
    layers = Files.createTempDirectory("boxkit-layers-");
    token = Jail.token();
    before = jail.snapshot();
  }

  @AfterEach
  void nothingChangedOutsideTheTarget() throws IOException {
    try {
      assertEquals(before, jail.snapshot(), "the jail around the target changed");
      assertFalse(Files.exists(Path.of("/tmp/boxkit-pwned-" + token), NOFOLLOW));
      assertFalse(Files.exists(Path.of("/boxkit-abs-" + token), NOFOLLOW));
    } finally {
      jail.close();
      RootfsTree.deleteRecursively(layers);
    }
  }

  private UnpackResult unpack(LayerSource... l) {
    return RootfsUnpacker.defaults().unpack(List.of(l), jail.target);
  }

  private Path inTarget(String rel) {
    return jail.target.resolve(rel);
  }

  /** Asserts the unpack fails with {@code type}, naming {@code bad}'s digest and {@code entry}. */
  private <T extends InvalidLayerEntryException> T refused(Class<T> type, LayerSource bad,
      String entry, LayerSource... all) {
    InvalidLayerEntryException e = assertThrows(InvalidLayerEntryException.class,
        () -> RootfsUnpacker.defaults().unpack(List.of(all), jail.target));
    assertInstanceOf(type, e, e.getMessage());
    if (type == InvalidLayerEntryException.class) {
      assertFalse(e instanceof UnsafeLayerEntryException, e.getMessage());
    }
    assertEquals(bad.displayDigest(), e.layer());
    assertEquals(entry, e.entryName());
    assertTrue(e.getMessage().contains(bad.displayDigest().toString()), e.getMessage());
    assertTrue(e.getMessage().contains("\"" + entry + "\""), e.getMessage());
    assertFalse(Files.exists(jail.target, NOFOLLOW), "a failed unpack must leave no target");
    return type.cast(e);
  }

  @ParameterizedTest
  @ValueSource(strings = {"../../etc/x", "../x", "a/../../x", "a/b/../../../outside/secret", "./../x",
      "/../x", "a/.."})
  void namesWithDotDotAreRefused(String name) {
    LayerSource l = TestLayer.of().file("ok", "fine").file(name, "pwned").writeTar(layers, "l");
    refused(UnsafeLayerEntryException.class, l, name, l);
  }

  @Test
  void absoluteNamesAreRelativeToTheTarget() throws IOException {
    String name = "/boxkit-abs-" + token + "/path";
    unpack(TestLayer.of().file(name, "inside").writeGzip(layers, "l"));
    assertEquals("inside", Files.readString(inTarget("boxkit-abs-" + token + "/path")));
  }

  @Test
  void symlinkToHostRootIsFollowedInsideTheTarget() throws IOException {
    unpack(TestLayer.of()
        .symlink("evil", "/")
        .file("evil/tmp/boxkit-pwned-" + token, "inside")
        .writeTar(layers, "l"));
    assertEquals("/", Files.readSymbolicLink(inTarget("evil")).toString());
    assertEquals("inside", Files.readString(inTarget("tmp/boxkit-pwned-" + token), java.nio.charset.StandardCharsets.UTF_8));
  }

  @Test
  void relativeSymlinkClimbingIsClampedAtTheTargetRoot() throws IOException {
    unpack(TestLayer.of()
        .symlink("evil", "../../..")
        .symlink("deep/evil2", "../../../../../../../..")
        .file("evil/x", "x")
        .file("evil/outside/secret", "pwned")
        .file("deep/evil2/work/sibling/sub/file", "pwned")
        .writeTar(layers, "l"));
    assertEquals("x", Files.readString(inTarget("x")));
    assertEquals("pwned", Files.readString(inTarget("outside/secret")));
    assertEquals("pwned", Files.readString(inTarget("work/sibling/sub/file")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"./.", ".", "/", "./", "//.//"})
  void anEntryReplacingTheRootWithASymlinkIsRefused(String name) {
    // umoci CVE-2021-29136: "/." -> "/" made the next layer write to the host.
    LayerSource l1 = TestLayer.of().symlink(name, "/").writeTar(layers, "l1");
    LayerSource l2 = TestLayer.of().file("tmp/boxkit-pwned-" + token, "pwned").writeTar(layers, "l2");
    refused(UnsafeLayerEntryException.class, l1, name, l1, l2);
  }

  @Test
  void aRefusedEntryStopsTheReadAheadThread() {
    // Enough content after the refused entry that the read-ahead is still busy when it comes.
    TestLayer t = TestLayer.of().file(".", "x");
    for (int i = 0; i < 64; i++) {
      t.file("big/" + i, "y".repeat(64 * 1024));
    }
    LayerSource l = t.writeGzip(layers, "l");
    refused(UnsafeLayerEntryException.class, l, ".", l);
    List<String> left = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
        .map(Thread::getName).filter(n -> n.contains("read-ahead")).toList();
    assertEquals(List.of(), left, "the layer's read-ahead thread ended with the refusal");
  }

  @Test
  void aRegularFileReplacingTheRootIsRefused() {
    LayerSource l = TestLayer.of().file("a", "a").file(".", "x").writeTar(layers, "l");
    refused(UnsafeLayerEntryException.class, l, ".", l);
  }

  @Test
  void symlinkPlantedByALowerLayerIsNeverFollowedOut() throws IOException {
    LayerSource l1 = TestLayer.of()
        .symlink("evil", "/tmp")
        .symlink("up", "../..")
        .symlink("dangling", "/tmp/boxkit-pwned-" + token)
        .writeTar(layers, "l1");
    LayerSource l2 = TestLayer.of()
        .file("evil/boxkit-pwned-" + token, "inside")
        .file("up/outside/secret", "inside too")
        .file("dangling", "replaces the link")
        .writeGzip(layers, "l2");
    unpack(l1, l2);
    assertEquals("inside", Files.readString(inTarget("tmp/boxkit-pwned-" + token)));
    assertEquals("inside too", Files.readString(inTarget("outside/secret")));
    assertTrue(Files.isRegularFile(inTarget("dangling"), NOFOLLOW));
    assertEquals("replaces the link", Files.readString(inTarget("dangling")));
  }

  @Test
  void aFileReplacingASymlinkToAHostFileDoesNotWriteThroughIt() throws IOException {
    LayerSource l1 = TestLayer.of().symlink("s", "../../outside/secret").writeTar(layers, "l1");
    LayerSource l2 = TestLayer.of().file("s", "pwned", 0777).writeTar(layers, "l2");
    unpack(l1, l2);
    assertTrue(Files.isRegularFile(inTarget("s"), NOFOLLOW));
  }

  @Test
  void aDirectoryEntryOverASymlinkReplacesItInsteadOfChmoddingThroughIt() throws IOException {
    LayerSource l1 = TestLayer.of().symlink("d", "../../outside").writeTar(layers, "l1");
    LayerSource l2 = TestLayer.of().dir("d", 0777).file("d/secret", "pwned").writeTar(layers, "l2");
    unpack(l1, l2);
    assertTrue(Files.isDirectory(inTarget("d"), NOFOLLOW));
    assertEquals("pwned", Files.readString(inTarget("d/secret")));
  }

  @Test
  void hardlinkToAHostFileMissingFromTheTreeIsRefused() {
    LayerSource l = TestLayer.of().dir("etc").hardlink("x", "/etc/passwd").writeTar(layers, "l");
    InvalidLayerEntryException e = refused(InvalidLayerEntryException.class, l, "x", l);
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
  }

  /** Found by UnpackConfinementProperties: replacing "d" would remove the target "d/f" first. */
  @Test
  void hardlinkReplacingTheDirectoryThatHoldsItsTargetIsRefused() {
    LayerSource l1 = TestLayer.of().file("d/f", "f").writeTar(layers, "l1");
    LayerSource l2 = TestLayer.of().hardlink("d", "d/f").writeTar(layers, "l2");
    InvalidLayerEntryException e = refused(InvalidLayerEntryException.class, l2, "d", l1, l2);
    assertTrue(e.getMessage().contains("inside the path it replaces"), e.getMessage());
  }

  @Test
  void hardlinkToAnAbsoluteNameLinksTheImagesFileNotTheHosts() throws IOException {
    unpack(TestLayer.of().file("etc/passwd", "image\n").hardlink("x", "/etc/passwd").writeTar(layers, "l"));
    Object key = Files.readAttributes(inTarget("x"), java.nio.file.attribute.BasicFileAttributes.class, NOFOLLOW).fileKey();
    assertEquals(Files.readAttributes(inTarget("etc/passwd"), java.nio.file.attribute.BasicFileAttributes.class, NOFOLLOW).fileKey(), key);
    assertNotEquals(Files.readAttributes(Path.of("/etc/passwd"), java.nio.file.attribute.BasicFileAttributes.class).fileKey(), key);
  }

  @ParameterizedTest
  @ValueSource(strings = {"../outside/secret", "../../../outside/secret", "a/../../x"})
  void hardlinkWithDotDotIsRefused(String target) {
    LayerSource l = TestLayer.of().file("a", "a").hardlink("x", target).writeTar(layers, "l");
    refused(UnsafeLayerEntryException.class, l, "x", l);
  }

  @Test
  void hardlinkThroughASymlinkResolvesInsideTheTarget() throws IOException {
    LayerSource l1 = TestLayer.of().symlink("up", "../../outside").symlink("etc", "/real-etc")
        .file("real-etc/passwd", "image").writeTar(layers, "l1");
    LayerSource bad = TestLayer.of().hardlink("x", "up/secret").writeTar(layers, "bad");
    refused(InvalidLayerEntryException.class, bad, "x", l1, bad);

    LayerSource good = TestLayer.of().hardlink("y", "etc/passwd").writeTar(layers, "good");
    unpack(l1, good);
    assertEquals(Files.getAttribute(inTarget("real-etc/passwd"), "unix:ino"),
        Files.getAttribute(inTarget("y"), "unix:ino", NOFOLLOW));
  }

  @Test
  void hardlinkToASymlinkLinksTheSymlinkItself() throws IOException {
    unpack(TestLayer.of().symlink("s", "../../outside/secret").hardlink("h", "s").writeTar(layers, "l"));
    assertTrue(Files.isSymbolicLink(inTarget("h")));
    assertEquals(2, Files.getAttribute(inTarget("s"), "unix:nlink", NOFOLLOW));
  }

  @Test
  void hardlinkToADirectoryIsRefused() {
    LayerSource l = TestLayer.of().dir("d").hardlink("h", "d").writeTar(layers, "l");
    refused(InvalidLayerEntryException.class, l, "h", l);
  }

  @ParameterizedTest
  @ValueSource(strings = {"../.wh.x", "a/../../.wh.outside", ".wh..", ".wh...", "a/.wh...", "a/.wh.."})
  void whiteoutsClimbingOutAreRefused(String name) {
    LayerSource l1 = TestLayer.of().file("a/f", "f").writeTar(layers, "l1");
    LayerSource l2 = TestLayer.of().file(name, "").writeTar(layers, "l2");
    refused(UnsafeLayerEntryException.class, l2, name, l1, l2);
  }

  @Test
  void whiteoutsThroughAClimbingSymlinkStayInside() throws IOException {
    LayerSource l1 = TestLayer.of().symlink("up", "../../..").file("keep", "k").file("gone", "g")
        .writeTar(layers, "l1");
    LayerSource l2 = TestLayer.of().file("up/.wh.outside", "").file("up/.wh.work", "")
        .file("up/.wh.gone", "").file("up/outside/.wh.secret", "").writeTar(layers, "l2");
    unpack(l1, l2);
    assertTrue(Files.exists(inTarget("keep")));
    assertFalse(Files.exists(inTarget("gone"), NOFOLLOW));
  }

  @Test
  void opaqueWhiteoutThroughAClimbingSymlinkOnlyEmptiesTheTarget() throws IOException {
    LayerSource l1 = TestLayer.of().symlink("up", "../../..").file("lower", "l").writeTar(layers, "l1");
    LayerSource l2 = TestLayer.of().file("up/.wh..wh..opq", "").file("upper", "u").writeTar(layers, "l2");
    unpack(l1, l2);
    try (var s = Files.list(jail.target)) {
      assertEquals(List.of("upper"), s.map(p -> p.getFileName().toString()).toList());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {".wh.", "dir/.wh.", "/.wh."})
  void aBareWhiteoutIsAnError(String name) {
    LayerSource l = TestLayer.of().dir("dir").file(name, "").writeTar(layers, "l");
    refused(InvalidLayerEntryException.class, l, name, l);
  }

  @Test
  void symlinkLoopsAreRefused() {
    LayerSource l = TestLayer.of().symlink("a", "b").symlink("b", "a").file("a/x", "x").writeTar(layers, "l");
    UnsafeLayerEntryException e = refused(UnsafeLayerEntryException.class, l, "a/x", l);
    assertTrue(e.getMessage().contains("symbolic links"), e.getMessage());

    LayerSource self = TestLayer.of().symlink("l", "./l/").file("l/x", "x").writeTar(layers, "self");
    refused(UnsafeLayerEntryException.class, self, "l/x", self);
  }

  @Test
  void aLongButFiniteSymlinkChainResolves() throws IOException {
    TestLayer t = TestLayer.of().dir("end");
    for (int i = 0; i < 30; i++) {
      t.symlink("s" + i, i == 0 ? "end" : "s" + (i - 1));
    }
    unpack(t.file("s29/f", "f").writeTar(layers, "l"));
    assertEquals("f", Files.readString(inTarget("end/f")));
  }

  @Test
  void aParentThatIsARegularFileIsAnError() {
    LayerSource l = TestLayer.of().file("f", "f").file("f/x", "x").writeTar(layers, "l");
    refused(InvalidLayerEntryException.class, l, "f/x", l);
  }
}
