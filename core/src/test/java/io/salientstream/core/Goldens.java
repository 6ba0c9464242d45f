package io.salientstream.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The golden vectors of the SalientLoRA reference implementation, kept in this module's test
 * resources ({@code core/src/test/resources/golden}, provenance in the README there). Tests read
 * them from the test class path, so a clone of the repository is all they need.
 */
public final class Goldens {
  private Goldens() {}

  public static Path dir() {
    URL anchor = Goldens.class.getResource("/golden/schedule-reference.json");
    if (anchor == null) {
      throw new IllegalStateException(
          "golden/schedule-reference.json is not on the test class path"
              + " (expected in core/src/test/resources/golden)");
    }
    try {
      return Path.of(anchor.toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException("golden vectors: unusable location " + anchor, e);
    }
  }

  public static List<Path> salienceFiles() {
    try (Stream<Path> s = Files.list(dir())) {
      List<Path> files =
          s.filter(
                  f ->
                      f.getFileName().toString().startsWith("salience-")
                          && f.getFileName().toString().endsWith(".json"))
              .sorted()
              .toList();
      if (files.isEmpty()) throw new IllegalStateException("no salience-*.json in " + dir());
      return files;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Path scheduleFile() {
    return dir().resolve("schedule-reference.json");
  }
}
