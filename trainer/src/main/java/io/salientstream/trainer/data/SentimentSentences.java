package io.salientstream.trainer.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The UCI "Sentiment Labelled Sentences" data set (Kotzias, Denil, de Freitas and Smyth, KDD 2015;
 * CC BY 4.0): 3,000 real review sentences from Amazon, IMDb and Yelp, 500 positive and 500 negative
 * per site. The npm package {@code sentiment@5.0.2} ships them as its test fixtures ({@code
 * test/fixtures/{amazon,imdb,yelp}.json}); {@link #install} fetches that package with {@code npm
 * ci} from the lockfile in this module's resources ({@code data/sentiment/}), so nothing is
 * committed.
 *
 * <p><b>Splits.</b> Exact duplicate texts are dropped (the first occurrence in the order amazon,
 * imdb, yelp stays). Then {@code bucket = floorMod(mix(text.hashCode()), 10)}: buckets 0–1 → test
 * (≈ 20 %), 2 → validation (≈ 10 %), 3–9 → train (≈ 70 %). Splitting on the text keeps a sentence
 * and any copy of it in one split. Within a split the order is {@code mix(31·hash + 7)}, then the
 * key ({@code <site>:<index in its file>}). {@code mix} is the 32-bit murmur3 finaliser, as in
 * {@link WordNetSupersenses}. Labels: 0 = negative, 1 = positive.
 */
public final class SentimentSentences {

  /** The three files of the package, in the order their sentences are read. */
  public static final List<String> SITES = List.of("amazon", "imdb", "yelp");

  /** Where the fixtures lie below the folder {@link #install} fills. */
  static final String FIXTURES = "node_modules/sentiment/test/fixtures";

  static final List<String> CLASSES = List.of("negative", "positive");

  private static final ObjectMapper JSON = new ObjectMapper();

  private SentimentSentences() {}

  /**
   * The default data folder: {@code -Dsalientstream.data=DIR}, else the environment variable {@code
   * SALIENTSTREAM_DATA}, else {@code .cache/salientstream} in the user's home; the package goes to
   * {@code sentiment-5.0.2} below it.
   */
  public static Path defaultDir() {
    String prop = System.getProperty("salientstream.data");
    String env = System.getenv("SALIENTSTREAM_DATA");
    Path base =
        prop != null
            ? Path.of(prop)
            : env != null
                ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "salientstream");
    return base.resolve("sentiment-5.0.2");
  }

  /**
   * Makes sure {@code dir} holds the package: when its fixtures are missing, writes the lockfile
   * project there and runs {@code npm ci} (which checks the package's sha512 from the lockfile).
   * Returns the fixtures folder.
   */
  public static Path install(Path dir) throws IOException {
    Path fixtures = dir.resolve(FIXTURES);
    if (SITES.stream().allMatch(s -> Files.isRegularFile(fixtures.resolve(s + ".json")))) {
      return fixtures;
    }
    Files.createDirectories(dir);
    for (String f : List.of("package.json", "package-lock.json")) {
      try (InputStream in = SentimentSentences.class.getResourceAsStream("/data/sentiment/" + f)) {
        if (in == null) {
          throw new IllegalStateException(
              "resource /data/sentiment/" + f + " missing from the jar");
        }
        Files.write(dir.resolve(f), in.readAllBytes());
      }
    }
    List<String> cmd = List.of("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts");
    System.err.println("sentiment data: running '" + String.join(" ", cmd) + "' in " + dir);
    Process p;
    try {
      p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException(
          "sentiment data: cannot run npm (Node.js and npm must be on the PATH to fetch the npm"
              + " package sentiment@5.0.2 into "
              + dir
              + "): "
              + e.getMessage(),
          e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
        throw new IOException("sentiment data: 'npm ci' failed in " + dir + ":\n" + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while fetching the sentiment data", e);
    }
    for (String s : SITES) {
      if (!Files.isRegularFile(fixtures.resolve(s + ".json"))) {
        throw new IOException(
            "sentiment data: npm ci finished but " + fixtures.resolve(s + ".json") + " is missing");
      }
    }
    return fixtures;
  }

  private static final Map<Path, WordNetSupersenses.Splits> CACHE = new HashMap<>();

  /** {@link #load} once per folder and JVM (the splits are immutable). */
  public static synchronized WordNetSupersenses.Splits cached(Path dir) throws IOException {
    WordNetSupersenses.Splits s = CACHE.get(dir);
    if (s == null) {
      s = load(dir);
      CACHE.put(dir, s);
    }
    return s;
  }

  /** Fetches the package when needed ({@link #install}) into {@code dir} and loads the splits. */
  public static WordNetSupersenses.Splits load(Path dir) throws IOException {
    Path fixtures = install(dir);
    List<WordNetSupersenses.Example> all = new ArrayList<>();
    for (String site : SITES) {
      Path f = fixtures.resolve(site + ".json");
      all.addAll(parse(site, Files.readString(f, StandardCharsets.UTF_8), f.toString()));
    }
    return split(all);
  }

  /**
   * The labelled sentences of one fixture file: a JSON array of {@code {"text": ..., "class":
   * 0|1}}. The package ends each file with one empty entry ({@code {"text":"","class":null}}),
   * which is skipped; any other entry without a non-empty text and a class of 0 or 1 is an error
   * naming the file and the index.
   */
  static List<WordNetSupersenses.Example> parse(String site, String json, String where)
      throws IOException {
    JsonNode root = JSON.readTree(json);
    if (root == null || !root.isArray()) {
      throw new IOException(where + ": expected a JSON array of {text, class} entries");
    }
    List<WordNetSupersenses.Example> out = new ArrayList<>();
    for (int i = 0; i < root.size(); i++) {
      JsonNode e = root.get(i);
      JsonNode text = e.get("text");
      JsonNode cls = e.get("class");
      boolean emptyTail =
          i == root.size() - 1
              && text != null
              && text.isTextual()
              && text.asText().isEmpty()
              && (cls == null || cls.isNull());
      if (emptyTail) {
        continue;
      }
      if (text == null || !text.isTextual() || text.asText().isBlank()) {
        throw new IOException(where + " entry " + i + ": 'text' must be a non-empty string");
      }
      if (cls == null || !cls.isInt() || (cls.asInt() != 0 && cls.asInt() != 1)) {
        throw new IOException(
            where
                + " entry "
                + i
                + ": 'class' must be 0 or 1, got "
                + (cls == null ? "none" : cls));
      }
      out.add(
          new WordNetSupersenses.Example(
              site + ":" + String.format(Locale.ROOT, "%04d", i), text.asText(), cls.asInt()));
    }
    return out;
  }

  /** The fixed split of the class doc (duplicates dropped, bucket by text, hash order). */
  static WordNetSupersenses.Splits split(List<WordNetSupersenses.Example> all) {
    Set<String> seen = new HashSet<>();
    List<WordNetSupersenses.Example> train = new ArrayList<>();
    List<WordNetSupersenses.Example> val = new ArrayList<>();
    List<WordNetSupersenses.Example> test = new ArrayList<>();
    for (WordNetSupersenses.Example e : all) {
      if (!seen.add(e.text())) {
        continue;
      }
      int b = bucket(e.text());
      (b <= 1 ? test : b == 2 ? val : train).add(e);
    }
    Comparator<WordNetSupersenses.Example> order =
        Comparator.comparingInt(
                (WordNetSupersenses.Example e) ->
                    WordNetSupersenses.mix(e.text().hashCode() * 31 + 7))
            .thenComparing(WordNetSupersenses.Example::key);
    train.sort(order);
    val.sort(order);
    test.sort(order);
    return new WordNetSupersenses.Splits(
        Collections.unmodifiableList(train),
        Collections.unmodifiableList(val),
        Collections.unmodifiableList(test),
        CLASSES);
  }

  /** The split bucket 0..9 of a sentence (see class doc). */
  public static int bucket(String text) {
    return Math.floorMod(WordNetSupersenses.mix(text.hashCode()), 10);
  }
}
