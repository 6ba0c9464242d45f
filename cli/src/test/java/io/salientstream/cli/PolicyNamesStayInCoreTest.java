package io.salientstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.salientstream.core.policy.Policies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Policies describe themselves ({@code PolicyKind}, registered in {@code Policies}): outside {@code
 * core}, no production code spells a policy's name as a string literal — it asks the policy, or
 * names its {@code NAME} constant. Help texts that list the names inside a longer text and
 * documentation are not literals of a name.
 */
class PolicyNamesStayInCoreTest {

  @Test
  void noPolicyNameLiteralOutsideCore() throws IOException {
    Path root = Path.of("..").toAbsolutePath().normalize();
    // case-sensitive: PEFT's own type names ("LORA", "ADALORA") are not ours
    Pattern literal = Pattern.compile("\"(" + String.join("|", Policies.NAMES) + ")\"");
    List<String> found = new ArrayList<>();
    List<Path> sources;
    try (Stream<Path> files = Files.walk(root)) {
      sources =
          files
              .filter(p -> p.toString().endsWith(".java"))
              .filter(
                  p ->
                      root.relativize(p).getNameCount() > 4
                          && root.relativize(p)
                              .subpath(1, 4)
                              .toString()
                              .equals(Path.of("src", "main", "java").toString()))
              .filter(p -> !root.relativize(p).getName(0).toString().equals("core"))
              .toList();
    }
    assertThat(sources).as("production sources outside core").hasSizeGreaterThan(50);
    for (Path p : sources) {
      List<String> lines = Files.readAllLines(p);
      for (int i = 0; i < lines.size(); i++) {
        Matcher m = literal.matcher(lines.get(i));
        if (m.find()) {
          found.add(root.relativize(p) + ":" + (i + 1) + ": " + lines.get(i).trim());
        }
      }
    }
    assertThat(found)
        .as("policy-name literals outside core (ask the policy's PolicyKind instead)")
        .isEmpty();
  }
}
