package io.salientstream.core.policy;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Typed access to a policy's {@code Map<String,String>} parameters with errors that name the policy
 * and the parameter. Every getter records the name as known; {@link #rejectUnknown()} then fails on
 * any other key, so a misspelt parameter is never silently ignored.
 */
public final class Params {
  private final String policy;
  private final Map<String, String> values;
  private final Set<String> known = new TreeSet<>();

  public Params(String policy, Map<String, String> values) {
    this.policy = policy;
    this.values = new TreeMap<>(values == null ? Map.of() : values);
  }

  /** The error for a bad parameter value, naming policy and parameter. */
  public IllegalArgumentException bad(String name, String problem) {
    return new IllegalArgumentException(policy + ": parameter '" + name + "' " + problem);
  }

  public boolean has(String name) {
    known.add(name);
    return values.containsKey(name);
  }

  public String string(String name, String def) {
    known.add(name);
    String v = values.get(name);
    return v == null ? def : v.trim();
  }

  public String requireString(String name) {
    known.add(name);
    String v = values.get(name);
    if (v == null || v.isBlank()) throw bad(name, "is required");
    return v.trim();
  }

  public long longValue(String name, long def) {
    return has(name) ? parseLong(name, values.get(name)) : def;
  }

  public long requireLong(String name) {
    return parseLong(name, requireString(name));
  }

  public int intValue(String name, int def) {
    long v = longValue(name, def);
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE)
      throw bad(name, "is out of int range: " + v);
    return (int) v;
  }

  public double doubleValue(String name, double def) {
    if (!has(name)) return def;
    String raw = values.get(name).trim();
    double d;
    try {
      d = Double.parseDouble(raw);
    } catch (NumberFormatException e) {
      throw bad(name, "must be a number, got '" + raw + "'");
    }
    if (!Double.isFinite(d)) throw bad(name, "must be finite, got '" + raw + "'");
    return d;
  }

  public boolean bool(String name, boolean def) {
    if (!has(name)) return def;
    String raw = values.get(name).trim().toLowerCase(Locale.ROOT);
    return switch (raw) {
      case "true", "on", "yes", "1" -> true;
      case "false", "off", "no", "0" -> false;
      default -> throw bad(name, "must be true or false, got '" + values.get(name) + "'");
    };
  }

  /**
   * One of the given choices (case-insensitive); returns the choice as spelt in {@code choices}.
   */
  public String choice(String name, String def, String... choices) {
    String raw = string(name, def);
    for (String c : choices) if (c.equalsIgnoreCase(raw)) return c;
    throw bad(name, "must be one of " + String.join("|", choices) + ", got '" + raw + "'");
  }

  /** Fails if a key was given that no getter asked for. Call after reading every parameter. */
  public void rejectUnknown() {
    for (String k : values.keySet()) {
      if (!known.contains(k)) {
        throw new IllegalArgumentException(
            policy + ": unknown parameter '" + k + "' (known: " + String.join(", ", known) + ")");
      }
    }
  }

  /** Checks {@code lo <= v <= hi}. */
  public double inRange(String name, double v, double lo, double hi) {
    if (!(v >= lo && v <= hi)) throw bad(name, "must be in [" + lo + ", " + hi + "], got " + v);
    return v;
  }

  /** Checks {@code v >= lo}. */
  public long atLeast(String name, long v, long lo) {
    if (v < lo) throw bad(name, "must be >= " + lo + ", got " + v);
    return v;
  }

  private long parseLong(String name, String raw) {
    try {
      return Long.parseLong(raw.trim());
    } catch (NumberFormatException e) {
      throw bad(name, "must be an integer, got '" + raw + "'");
    }
  }
}
