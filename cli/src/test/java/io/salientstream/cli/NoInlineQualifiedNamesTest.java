package io.salientstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * One dialect (issue 12): production code names types through imports, not inline as {@code
 * java.util.Set<...>} or {@code java.nio.file.Files.write(...)}. The formatter cannot check this,
 * so this test does. Imports, package lines, comments and string literals are not code references
 * and are skipped; a clash of two simple names is the one reason to spell a type out, and then the
 * line carries {@code // qualified: <why>}.
 */
class NoInlineQualifiedNamesTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  /**
   * A package path (lower-case segments) followed by a type (upper-case) used as a type or call.
   */
  private static final Pattern INLINE =
      Pattern.compile("(?<![\\w.\"])(?:java|javax|org|io|com|ai)(?:\\.[a-z]\\w*)+\\.[A-Z]\\w*");

  @Test
  void productionCodeNamesTypesThroughImports() throws IOException {
    List<String> found = new ArrayList<>();
    Path main = Path.of("src", "main", "java");
    List<Path> sources;
    try (Stream<Path> files = Files.walk(ROOT)) {
      sources =
          files
              .filter(p -> p.toString().endsWith(".java"))
              .filter(
                  p ->
                      ROOT.relativize(p).getNameCount() > 4
                          && ROOT.relativize(p).subpath(1, 4).equals(main))
              .filter(p -> !ROOT.relativize(p).toString().contains("target"))
              .toList();
    }
    assertThat(sources).as("production sources").hasSizeGreaterThan(100);
    for (Path source : sources) {
      List<String> lines = Files.readAllLines(source);
      boolean inComment = false;
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).strip();
        if (inComment) {
          inComment = !line.contains("*/");
          continue;
        }
        if (line.startsWith("/*")) {
          inComment = !line.contains("*/");
          continue;
        }
        if (line.startsWith("import ")
            || line.startsWith("package ")
            || line.startsWith("//")
            || line.startsWith("*")
            || line.contains("// qualified:")) {
          continue;
        }
        String code = withoutStringsAndTrailingComment(line);
        if (INLINE.matcher(code).find()) {
          found.add(ROOT.relativize(source) + ":" + (i + 1) + ": " + line);
        }
      }
    }
    assertThat(found).as("inline fully-qualified type names in production code").isEmpty();
  }

  /** The line with its string literals emptied and any trailing {@code //} comment cut. */
  private static String withoutStringsAndTrailingComment(String line) {
    StringBuilder out = new StringBuilder();
    boolean inString = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
          out.append('"');
        }
        continue;
      }
      if (c == '"') {
        inString = true;
        out.append('"');
      } else if (c == '/' && i + 1 < line.length() && line.charAt(i + 1) == '/') {
        break;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
