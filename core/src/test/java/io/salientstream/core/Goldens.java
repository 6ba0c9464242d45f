package io.salientstream.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Locates {@code shared/golden}: the system property {@code salientstream.golden} if set, otherwise the first
 * {@code shared/golden} found walking up from the working directory (the repository sits beside {@code shared/}).
 */
public final class Goldens {
    private Goldens() {
    }

    public static Path dir() {
        String prop = System.getProperty("salientstream.golden");
        if (prop != null && !prop.isBlank()) return Path.of(prop);
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            Path candidate = p.resolve("shared").resolve("golden");
            if (Files.isDirectory(candidate)) return candidate;
            p = p.getParent();
        }
        throw new IllegalStateException("shared/golden not found above " + Path.of("").toAbsolutePath()
                + " (set -Dsalientstream.golden=DIR)");
    }

    public static List<Path> salienceFiles() {
        try (Stream<Path> s = Files.list(dir())) {
            List<Path> files = s.filter(f -> f.getFileName().toString().startsWith("salience-")
                    && f.getFileName().toString().endsWith(".json")).sorted().toList();
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
