package io.salientstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * One name per concept, checked where a checker can: no two production classes of the project share
 * a simple name (two {@code StepEvent}s, one in the trainer and one in the analyzer, were a trap
 * for readers), and every file the README's "Follow one event" walk names exists, so the walk
 * cannot silently go stale after a rename.
 */
class UniqueClassNamesTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  private static List<Path> productionSources() throws IOException {
    Path main = Path.of("src", "main", "java");
    try (Stream<Path> files = Files.walk(ROOT)) {
      return files
          .filter(p -> p.toString().endsWith(".java"))
          .filter(
              p ->
                  ROOT.relativize(p).getNameCount() > 4
                      && ROOT.relativize(p).subpath(1, 4).equals(main))
          .toList();
    }
  }

  @Test
  void noTwoProductionClassesShareASimpleName() throws IOException {
    List<Path> sources = productionSources();
    assertThat(sources).as("production sources").hasSizeGreaterThan(100);
    Map<String, List<String>> byName =
        sources.stream()
            .collect(
                Collectors.groupingBy(
                    p -> p.getFileName().toString(),
                    TreeMap::new,
                    Collectors.mapping(p -> ROOT.relativize(p).toString(), Collectors.toList())));
    Map<String, List<String>> shared = new TreeMap<>();
    byName.forEach(
        (name, paths) -> {
          if (paths.size() > 1) {
            shared.put(name, paths);
          }
        });
    assertThat(shared).as("classes with the same simple name in several places").isEmpty();
  }

  @Test
  void everyFileOfTheReadmeWalkExists() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"));
    int from = readme.indexOf("Follow one event");
    assertThat(from).as("README section 'Follow one event'").isGreaterThanOrEqualTo(0);
    String walk = readme.substring(from, readme.indexOf("\n\n", readme.indexOf("\n1. ", from)));
    // `module/.../path/Name.java`: the module and the file name are enough to find it
    Matcher m = Pattern.compile("`([a-z-]+)/\\.\\.\\./([A-Za-z/]+\\.java)`").matcher(walk);
    List<String> named = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    List<Path> sources = productionSources();
    while (m.find()) {
      String module = m.group(1);
      String tail = m.group(2);
      named.add(module + "/" + tail);
      boolean found =
          sources.stream()
              .anyMatch(
                  p ->
                      ROOT.relativize(p).getName(0).toString().equals(module)
                          && p.toString().replace('\\', '/').endsWith("/" + tail));
      if (!found) {
        missing.add(module + "/.../" + tail);
      }
    }
    assertThat(named).as("files the walk names").hasSizeGreaterThanOrEqualTo(10);
    assertThat(missing).as("walk entries with no such file").isEmpty();
  }
}
