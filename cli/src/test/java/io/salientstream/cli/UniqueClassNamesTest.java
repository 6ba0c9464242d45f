package io.salientstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * One name per concept, checked where a checker can: no two production classes of the project share
 * a simple name (two {@code StepEvent}s, one in the trainer and one in the analyzer, were a trap
 * for readers), every file the README's "Follow one event" walk names exists, so the walk cannot
 * silently go stale after a rename, and the walk stays short: at most {@value #WALK_LIMIT}
 * hand-written Java files from the optimizer step to the applied mask (issue 12).
 */
class UniqueClassNamesTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  /** The most Java files the walk may pass (issue 12: "at most 12 hand-written files"). */
  static final int WALK_LIMIT = 12;

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

  /** The numbered list of the README's "Follow one event" section. */
  private static String readmeWalk() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"));
    int from = readme.indexOf("Follow one event");
    assertThat(from).as("README section 'Follow one event'").isGreaterThanOrEqualTo(0);
    return readme.substring(from, readme.indexOf("\n\n", readme.indexOf("\n1. ", from)));
  }

  @Test
  void theReadmeWalkPassesAtMostTwelveJavaFiles() throws IOException {
    String walk = readmeWalk();
    // every Java file the walk names, with its path (`module/.../Name.java`) or again by name
    // (`Name.java`)
    Matcher m =
        Pattern.compile("`(?:[a-z-]+/\\.\\.\\./)?(?:[A-Za-z]+/)*([A-Za-z]+\\.java)`").matcher(walk);
    Set<String> files = new LinkedHashSet<>();
    while (m.find()) {
      files.add(m.group(1));
    }
    Set<String> production =
        productionSources().stream()
            .map(p -> p.getFileName().toString())
            .collect(Collectors.toSet());
    assertThat(files).as("Java files the walk names").hasSizeGreaterThanOrEqualTo(10);
    assertThat(production).as("production classes").containsAll(files);
    assertThat(files)
        .as("distinct Java files of the walk (issue 12: at most %d): %s", WALK_LIMIT, files)
        .hasSizeLessThanOrEqualTo(WALK_LIMIT);
  }

  @Test
  void everyFileOfTheReadmeWalkExists() throws IOException {
    String walk = readmeWalk();
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
