package io.salientstream.dashboard;

import io.salientstream.avro.DeadLetter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The views of every experiment the dashboard follows, keyed by experiment id, plus the dead
 * letters that name no experiment. Thread-safe: the feed folds records in, the HTTP threads read.
 */
final class DashboardState {

  /** Sort keys of {@code GET /api/experiments?sort=}. */
  static final Set<String> SORT_KEYS =
      Set.of(
          "id",
          "policy",
          "task",
          "state",
          "step",
          "loss",
          "totalRank",
          "commands",
          "commandsRefused",
          "commandLagSteps",
          "deadLetters");

  private final ExperimentView.Limits limits;
  private final int maxExperiments;
  private final Map<String, ExperimentView> experiments = new ConcurrentHashMap<>();
  private final Deque<Map<String, Object>> unkeyedDeadLetters = new ArrayDeque<>();
  private final List<Map<String, Object>> pendingUnkeyed = new ArrayList<>();
  private long unkeyedCount;
  private long droppedExperiments;

  DashboardState(ExperimentView.Limits limits, int maxExperiments) {
    this.limits = limits;
    this.maxExperiments = maxExperiments;
  }

  DashboardState() {
    this(ExperimentView.Limits.defaults(), 10_000);
  }

  /**
   * The view of {@code id}, created on first sight; null when the dashboard already follows its
   * maximum number of experiments (counted in {@link #droppedExperiments}).
   */
  ExperimentView view(String id) {
    ExperimentView v = experiments.get(id);
    if (v != null) {
      return v;
    }
    if (experiments.size() >= maxExperiments) {
      synchronized (this) {
        droppedExperiments++;
      }
      return null;
    }
    return experiments.computeIfAbsent(id, k -> new ExperimentView(k, limits));
  }

  ExperimentView find(String id) {
    return experiments.get(id);
  }

  int size() {
    return experiments.size();
  }

  synchronized long droppedExperiments() {
    return droppedExperiments;
  }

  /** A dead letter whose key names no experiment (or none the dashboard follows). */
  synchronized void onUnkeyedDeadLetter(String key, DeadLetter d) {
    unkeyedCount++;
    Map<String, Object> e = ExperimentView.deadLetterEntry(key, d);
    unkeyedDeadLetters.addLast(e);
    while (unkeyedDeadLetters.size() > limits.deadLetterLog()) {
      unkeyedDeadLetters.pollFirst();
    }
    pendingUnkeyed.add(e);
  }

  /** The experiment list, filtered (substring of id, policy, task or state), sorted, limited. */
  List<Map<String, Object>> list(String filter, String sort, boolean descending, int limit) {
    String f = filter == null ? "" : filter.toLowerCase(Locale.ROOT);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (ExperimentView v : experiments.values()) {
      Map<String, Object> s = v.summary();
      if (f.isEmpty()
          || List.of("id", "policy", "task", "state").stream()
              .anyMatch(k -> String.valueOf(s.get(k)).toLowerCase(Locale.ROOT).contains(f))) {
        rows.add(s);
      }
    }
    Function<Map<String, Object>, Comparable<Object>> key = row -> comparable(row.get(sort));
    Comparator<Map<String, Object>> c =
        Comparator.comparing(key, Comparator.nullsFirst(Comparator.naturalOrder()));
    c = c.thenComparing(row -> String.valueOf(row.get("id")));
    rows.sort(descending ? c.reversed() : c);
    return rows.size() > limit ? rows.subList(0, limit) : rows;
  }

  @SuppressWarnings("unchecked")
  private static Comparable<Object> comparable(Object v) {
    if (v instanceof Number n) {
      Comparable<?> d = n.doubleValue();
      return (Comparable<Object>) d;
    }
    return v == null ? null : (Comparable<Object>) (Comparable<?>) String.valueOf(v);
  }

  /** Every dead letter the dashboard keeps, newest last: per experiment, then the unkeyed ones. */
  List<Map<String, Object>> deadLetters(String experiment, int limit) {
    List<Map<String, Object>> all = new ArrayList<>();
    if (experiment != null) {
      ExperimentView v = experiments.get(experiment);
      if (v != null) {
        all.addAll(v.deadLetterLog());
      }
      synchronized (this) {
        // dead letters read before the experiment's first record (topics are read in parallel)
        for (Map<String, Object> e : unkeyedDeadLetters) {
          if (experiment.equals(e.get("experimentId"))) {
            all.add(e);
          }
        }
      }
    } else {
      for (ExperimentView v : experiments.values()) {
        all.addAll(v.deadLetterLog());
      }
      synchronized (this) {
        all.addAll(unkeyedDeadLetters);
      }
    }
    all.sort(Comparator.comparing(e -> ((Number) e.get("failedAtMs")).longValue()));
    return all.size() > limit ? all.subList(all.size() - limit, all.size()) : all;
  }

  synchronized long unkeyedDeadLetterCount() {
    return unkeyedCount;
  }

  /** The changes of every experiment since the last call (the live stream's next event). */
  Map<String, Object> drain() {
    List<Map<String, Object>> changed = new ArrayList<>();
    for (ExperimentView v : experiments.values()) {
      Map<String, Object> d = v.drain();
      if (d != null) {
        changed.add(d);
      }
    }
    List<Map<String, Object>> unkeyed;
    synchronized (this) {
      unkeyed = List.copyOf(pendingUnkeyed);
      pendingUnkeyed.clear();
    }
    if (changed.isEmpty() && unkeyed.isEmpty()) {
      return null;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("experiments", changed);
    if (!unkeyed.isEmpty()) {
      m.put("unkeyedDeadLetters", unkeyed);
    }
    return m;
  }
}
