package io.salientstream.registry.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.salientstream.registry.AvroCompatibility;
import io.salientstream.registry.CompatibilityLevel;
import io.salientstream.registry.ErrorCodes;
import io.salientstream.registry.SchemaMetadata;
import io.salientstream.registry.SchemaRegistryException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.avro.Schema;

/**
 * The registry's state and its rules, rebuilt from a {@link SchemaLog} and changed only by writing
 * to it first (write, then apply). One writer per log: this class is synchronized, and two servers
 * over the same log would each assign ids without seeing the other's.
 *
 * <p>Log records (JSON): key {@code {"keytype":"SCHEMA","subject":s,"version":v}} with value {@code
 * {"subject","version","id","guid","schemaType":"AVRO","schema","metadata"?,"ruleSet"?,"deleted"}}
 * or a tombstone (permanently deleted); key {@code {"keytype":"CONFIG","subject":s|null}} with
 * value {@code {"compatibilityLevel":L,"normalize":b?}} or a tombstone; key {@code
 * {"keytype":"MODE","subject":s|null}} with value {@code {"mode":M}} or a tombstone. Every key
 * names the one thing it describes, so compaction keeps the latest state of each.
 */
public final class RegistryState {
  public static final CompatibilityLevel DEFAULT_LEVEL = CompatibilityLevel.BACKWARD;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Confluent's registry modes. READWRITE is the default. */
  public enum Mode {
    READWRITE,
    READONLY,
    READONLY_OVERRIDE,
    IMPORT,
    FORWARD;

    /** Parses a mode name case-insensitively; {@code null} when the name is unknown. */
    public static Mode parse(String name) {
      if (name == null) {
        return null;
      }
      try {
        return valueOf(name.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        return null;
      }
    }

    boolean refusesWrites() {
      return this == READONLY || this == READONLY_OVERRIDE;
    }
  }

  /**
   * A subject's or the global config: compatibility level and the normalize flag (each may be
   * unset).
   */
  public record Config(CompatibilityLevel level, Boolean normalize) {}

  /** What a register, lookup or compatibility request carries besides the subject. */
  public record SchemaRequest(
      String schema, JsonNode metadata, JsonNode ruleSet, Integer id, Integer version) {
    public static SchemaRequest of(String schema) {
      return new SchemaRequest(schema, null, null, null, null);
    }
  }

  /**
   * One version of a subject. {@code normalized} (the stored text) with metadata and rule set is
   * the identity.
   */
  public record Version(
      String subject,
      int version,
      int id,
      String guid,
      String normalized,
      Schema schema,
      JsonNode metadata,
      JsonNode ruleSet,
      boolean deleted) {
    public SchemaMetadata metadataOf() {
      return new SchemaMetadata(subject, version, id, normalized);
    }

    String contentKey() {
      return RegistryState.contentKey(normalized, metadata, ruleSet);
    }
  }

  private final SchemaLog log;
  private final Map<String, TreeMap<Integer, Version>> subjects = new HashMap<>();
  private final Map<String, Config> subjectConfigs = new HashMap<>();
  private final Map<String, Mode> subjectModes = new HashMap<>();
  private Config globalConfig = new Config(DEFAULT_LEVEL, null);
  private Mode globalMode = Mode.READWRITE;
  private int maxId;

  public RegistryState(SchemaLog log) {
    this.log = log;
    log.replay(this::apply);
  }

  // ---------------------------------------------------------------- reads

  /** Subjects in name order, optionally only those starting with {@code prefix}. */
  public synchronized List<String> subjects(
      String prefix, boolean includeDeleted, boolean deletedOnly) {
    TreeSet<String> out = new TreeSet<>();
    subjects.forEach(
        (s, versions) -> {
          if (prefix != null && !s.startsWith(prefix)) {
            return;
          }
          boolean hasLive = versions.values().stream().anyMatch(v -> !v.deleted);
          boolean hasDeleted = versions.values().stream().anyMatch(v -> v.deleted);
          if (deletedOnly
              ? hasDeleted && !hasLive
              : hasLive || (includeDeleted && !versions.isEmpty())) {
            out.add(s);
          }
        });
    return new ArrayList<>(out);
  }

  public synchronized List<Integer> versions(
      String subject, boolean includeDeleted, boolean deletedOnly, boolean deletedAsNegative) {
    List<Integer> out = new ArrayList<>();
    for (Version v : subjectVersions(subject, includeDeleted || deletedOnly).values()) {
      if (deletedOnly ? v.deleted : includeDeleted || !v.deleted) {
        out.add(v.deleted && deletedAsNegative ? -v.version : v.version);
      }
    }
    return out;
  }

  /** {@code version} is a positive number, or -1 for the latest. */
  public synchronized Version version(String subject, int version, boolean includeDeleted) {
    TreeMap<Integer, Version> versions = subjectVersions(subject, includeDeleted);
    Version v;
    if (version == -1) {
      v = lastOf(versions, includeDeleted);
    } else {
      v = versions.get(version);
      if (v != null && v.deleted && !includeDeleted) {
        v = null;
      }
    }
    if (v == null) {
      throw versionNotFound(version);
    }
    return v;
  }

  /**
   * A version holding schema {@code id} (the subject's own when {@code subject} uses it).
   * Soft-deleted versions still resolve; permanently deleted ones do not.
   */
  public synchronized Version byId(int id, String subject) {
    Version found = null;
    for (String s : new TreeSet<>(subjects.keySet())) {
      for (Version v : subjects.get(s).values()) {
        if (v.id == id
            && (found == null || (s.equals(subject) && !found.subject.equals(subject)))) {
          found = v;
        }
      }
    }
    if (found == null) {
      throw schemaNotFound("Schema " + id + " not found");
    }
    return found;
  }

  public synchronized Version byGuid(String guid) {
    for (TreeMap<Integer, Version> versions : subjects.values()) {
      for (Version v : versions.values()) {
        if (v.guid.equals(guid)) {
          return v;
        }
      }
    }
    throw schemaNotFound("Schema " + guid + " not found");
  }

  /** The highest id ever assigned. */
  public synchronized int maxId() {
    return maxId;
  }

  /** (subject, version) pairs that use schema {@code id}. */
  public synchronized List<Version> usesOf(int id, boolean includeDeleted) {
    byId(id, null);
    List<Version> out = new ArrayList<>();
    for (String s : new TreeSet<>(subjects.keySet())) {
      for (Version v : subjects.get(s).values()) {
        if (v.id == id && (includeDeleted || !v.deleted)) {
          out.add(v);
        }
      }
    }
    return out;
  }

  /** {@code GET /schemas}: every version (or each subject's latest), subjects in name order. */
  public synchronized List<Version> allVersions(
      String prefix, boolean includeDeleted, boolean latestOnly) {
    List<Version> out = new ArrayList<>();
    for (String s : new TreeSet<>(subjects.keySet())) {
      if (prefix != null && !s.startsWith(prefix)) {
        continue;
      }
      List<Version> matching = new ArrayList<>();
      for (Version v : subjects.get(s).values()) {
        if (includeDeleted || !v.deleted) {
          matching.add(v);
        }
      }
      if (latestOnly && !matching.isEmpty()) {
        out.add(matching.get(matching.size() - 1));
      } else {
        out.addAll(matching);
      }
    }
    return out;
  }

  /** {@code POST /subjects/{subject}}: the version of {@code subject} holding this schema. */
  public synchronized Version lookup(
      String subject, SchemaRequest request, boolean normalize, boolean includeDeleted) {
    TreeMap<Integer, Version> versions = subjectVersions(subject, includeDeleted);
    Schema schema = parse(request.schema());
    boolean normalizing = normalize || normalizes(subject);
    String text = normalizing ? AvroNormalizer.normalize(schema) : schema.toString();
    String key = contentKey(text, request.metadata(), request.ruleSet());
    Version found = null;
    for (Version v : versions.values()) {
      if ((includeDeleted || !v.deleted) && matches(v, key, text, request, normalizing)) {
        found = v;
      }
    }
    if (found == null) {
      throw schemaNotFound("Schema not found");
    }
    return found;
  }

  /**
   * {@code GET /subjects/{s}/metadata}: the latest version whose metadata properties contain all of
   * these.
   */
  public synchronized Version latestWithMetadata(
      String subject, Map<String, String> wanted, boolean includeDeleted) {
    TreeMap<Integer, Version> versions = subjectVersions(subject, includeDeleted);
    for (Version v : versions.descendingMap().values()) {
      if ((!includeDeleted && v.deleted) || v.metadata == null) {
        continue;
      }
      JsonNode props = v.metadata.path("properties");
      boolean all = true;
      for (Map.Entry<String, String> e : wanted.entrySet()) {
        JsonNode p = props.get(e.getKey());
        all &= p != null && p.isTextual() && p.asText().equals(e.getValue());
      }
      if (all) {
        return v;
      }
    }
    throw schemaNotFound("Schema not found");
  }

  /**
   * {@code GET .../referencedby}: schema references are refused at registration, so always empty.
   */
  public synchronized List<Integer> referencedBy(
      String subject, int version, boolean includeDeleted) {
    version(subject, version, includeDeleted);
    return List.of();
  }

  public synchronized CompatibilityLevel globalLevel() {
    return globalConfig.level() == null ? DEFAULT_LEVEL : globalConfig.level();
  }

  public synchronized Config globalConfig() {
    return globalConfig;
  }

  /** The subject's own config, or {@code null} when it has none. */
  public synchronized Config subjectConfig(String subject) {
    return subjectConfigs.get(subject);
  }

  /** The subject's own level, or {@code null} when it has none. */
  public synchronized CompatibilityLevel subjectLevel(String subject) {
    Config c = subjectConfigs.get(subject);
    return c == null ? null : c.level();
  }

  public synchronized CompatibilityLevel effectiveLevel(String subject) {
    CompatibilityLevel own = subjectLevel(subject);
    return own != null ? own : globalLevel();
  }

  private boolean normalizes(String subject) {
    Config own = subject == null ? null : subjectConfigs.get(subject);
    if (own != null && own.normalize() != null) {
      return own.normalize();
    }
    return Boolean.TRUE.equals(globalConfig.normalize());
  }

  public synchronized Mode globalMode() {
    return globalMode;
  }

  /** The subject's own mode, or {@code null} when it has none. */
  public synchronized Mode subjectMode(String subject) {
    return subjectModes.get(subject);
  }

  public synchronized Mode effectiveMode(String subject) {
    return subjectModes.getOrDefault(subject, globalMode);
  }

  /**
   * Checks {@code request} against {@code version} of {@code subject}, or (version {@code null})
   * against the versions the subject's level requires, like a registration would.
   *
   * @return the incompatibilities; empty when compatible
   */
  public synchronized List<String> checkCompatibility(
      String subject, Integer version, SchemaRequest request, boolean normalize) {
    Schema candidate = parse(request.schema());
    if (normalize || normalizes(subject)) {
      candidate = parse(AvroNormalizer.normalize(candidate));
    }
    CompatibilityLevel level = effectiveLevel(subject);
    TreeMap<Integer, Version> versions = subjects.getOrDefault(subject, new TreeMap<>());
    if (version == null) {
      List<Schema> earlier = new ArrayList<>();
      live(versions).forEach(v -> earlier.add(v.schema));
      return AvroCompatibility.check(level, candidate, earlier);
    }
    // a given version (or "latest"): that one schema only; a missing "latest" is compatible
    Version target = version == -1 ? lastOf(versions, false) : versions.get(version);
    if (target != null && target.deleted) {
      target = null;
    }
    if (target == null) {
      if (version == -1) {
        return List.of();
      }
      throw versionNotFound(version);
    }
    return AvroCompatibility.check(level, candidate, List.of(target.schema));
  }

  // ---------------------------------------------------------------- writes

  /**
   * Registers the schema under {@code subject}; returns the version holding it (the existing one if
   * live).
   */
  public synchronized Version register(String subject, SchemaRequest request, boolean normalize) {
    Mode mode = effectiveMode(subject);
    refuseIfReadOnly(subject);
    if (request.id() != null && request.id() >= 0 && mode != Mode.IMPORT && mode != Mode.FORWARD) {
      throw SchemaRegistryException.of(
          422,
          ErrorCodes.OPERATION_NOT_PERMITTED,
          "Subject " + subject + " in context . is not in import mode");
    }
    Schema schema = parse(request.schema());
    boolean normalizing = normalize || normalizes(subject);
    String text = normalizing ? AvroNormalizer.normalize(schema) : schema.toString();
    if (!text.equals(schema.toString())) {
      schema = parse(text);
    }
    String key = contentKey(text, request.metadata(), request.ruleSet());
    TreeMap<Integer, Version> versions = subjects.getOrDefault(subject, new TreeMap<>());
    List<Schema> earlier = new ArrayList<>();
    for (Version v : live(versions)) {
      if (matches(v, key, text, request, normalizing)
          && (request.id() == null || request.id() < 0 || request.id() == v.id)) {
        return v;
      }
      earlier.add(v.schema);
    }
    Version sameContent = null;
    for (TreeMap<Integer, Version> vs : subjects.values()) {
      for (Version v : vs.values()) {
        if (v.contentKey().equals(key)) {
          sameContent = v;
        }
      }
    }
    int id;
    if (request.id() != null && request.id() >= 0) {
      id = request.id();
      Version holder = firstWithId(id);
      if (holder != null && !holder.contentKey().equals(key)) {
        throw SchemaRegistryException.of(
            422,
            ErrorCodes.ID_DOES_NOT_MATCH,
            "Overwrite new schema with id " + id + " is not permitted.");
      }
    } else {
      if (mode != Mode.IMPORT) {
        CompatibilityLevel level = effectiveLevel(subject);
        List<String> problems = AvroCompatibility.check(level, schema, earlier);
        if (!problems.isEmpty()) {
          throw SchemaRegistryException.of(
              409,
              ErrorCodes.INCOMPATIBLE_SCHEMA,
              "Schema being registered is incompatible with an earlier schema for subject \""
                  + subject
                  + "\", details: "
                  + problems);
        }
      }
      id = sameContent != null ? sameContent.id : maxId + 1;
    }
    int version;
    if (request.version() != null && request.version() > 0 && mode == Mode.IMPORT) {
      version = request.version();
      if (versions.containsKey(version)) {
        throw SchemaRegistryException.of(
            422,
            ErrorCodes.INVALID_SCHEMA,
            "Version " + version + " of subject " + subject + " is already taken");
      }
    } else {
      version = versions.isEmpty() ? 1 : versions.lastKey() + 1;
    }
    String guid = sameContent != null ? sameContent.guid : guidFor(key);
    writeThenApply(
        schemaKey(subject, version),
        schemaValue(
            subject, version, id, guid, text, request.metadata(), request.ruleSet(), false));
    return subjects.get(subject).get(version);
  }

  /**
   * Deletes one version: soft ({@code permanent} false; 40406 if already soft-deleted), or
   * permanently (40407 unless soft-deleted first). Returns the version number.
   */
  public synchronized int deleteVersion(String subject, int version, boolean permanent) {
    TreeMap<Integer, Version> versions = subjectVersions(subject, true);
    Version v = version == -1 ? lastOf(versions, permanent) : versions.get(version);
    if (v == null) {
      throw versionNotFound(version);
    }
    if (!permanent && v.deleted) {
      throw SchemaRegistryException.of(
          404,
          ErrorCodes.SCHEMA_VERSION_SOFT_DELETED,
          "Subject '"
              + subject
              + "' Version "
              + v.version
              + " was soft deleted.Set permanent=true to delete permanently");
    }
    refuseIfReadOnly(subject);
    if (permanent && !v.deleted) {
      throw SchemaRegistryException.of(
          404,
          ErrorCodes.SCHEMA_VERSION_NOT_SOFT_DELETED,
          "Subject '"
              + subject
              + "' Version "
              + v.version
              + " was not deleted first before being permanently deleted");
    }
    if (permanent) {
      writeThenApply(schemaKey(subject, v.version), null);
      if (!subjects.containsKey(subject)) {
        dropSubjectSettings(subject);
      }
    } else {
      writeThenApply(
          schemaKey(subject, v.version),
          schemaValue(subject, v.version, v.id, v.guid, v.normalized, v.metadata, v.ruleSet, true));
    }
    return v.version;
  }

  /**
   * Deletes a subject: soft (every live version; 40404 if it was soft-deleted already) or
   * permanently (every version; 40405 unless soft-deleted first). Returns the versions deleted.
   */
  public synchronized List<Integer> deleteSubject(String subject, boolean permanent) {
    TreeMap<Integer, Version> versions = subjects.get(subject);
    if (versions == null || versions.isEmpty()) {
      throw subjectNotFound(subject);
    }
    if (!permanent && live(versions).isEmpty()) {
      throw SchemaRegistryException.of(
          404,
          ErrorCodes.SUBJECT_SOFT_DELETED,
          "Subject '" + subject + "' was soft deleted.Set permanent=true to delete permanently");
    }
    refuseIfReadOnly(subject);
    List<Integer> deleted = new ArrayList<>();
    if (permanent) {
      if (!live(versions).isEmpty()) {
        throw SchemaRegistryException.of(
            404,
            ErrorCodes.SUBJECT_NOT_SOFT_DELETED,
            "Subject '" + subject + "' was not deleted first before being permanently deleted");
      }
      List<Version> all = new ArrayList<>(versions.descendingMap().values());
      for (Version v : all) {
        writeThenApply(schemaKey(subject, v.version), null);
        deleted.add(0, v.version);
      }
      dropSubjectSettings(subject);
      return deleted;
    }
    for (Version v : live(versions)) {
      writeThenApply(
          schemaKey(subject, v.version),
          schemaValue(subject, v.version, v.id, v.guid, v.normalized, v.metadata, v.ruleSet, true));
      deleted.add(v.version);
    }
    return deleted;
  }

  /**
   * Sets the config of {@code subject}, or the global one when {@code subject} is null; unset
   * fields kept.
   */
  public synchronized Config setConfig(
      String subject, CompatibilityLevel level, Boolean normalize) {
    Config had = subject == null ? globalConfig : subjectConfigs.get(subject);
    Config next =
        new Config(
            level != null ? level : had == null ? null : had.level(),
            normalize != null ? normalize : had == null ? null : had.normalize());
    writeThenApply(configKey("CONFIG", subject), configValue(next));
    return next;
  }

  /** Removes the subject's own config (or resets the global one); returns the config it had. */
  public synchronized Config clearConfig(String subject) {
    Config had = subject == null ? globalConfig : subjectConfigs.get(subject);
    if (had == null) {
      throw subjectNotFound(subject);
    }
    writeThenApply(configKey("CONFIG", subject), null);
    return had;
  }

  /**
   * Sets the mode of {@code subject} (global when null). Switching to IMPORT needs no live subject
   * in scope (unless {@code force}); remaining soft-deleted versions in scope are then permanently
   * deleted.
   */
  public synchronized Mode setMode(String subject, Mode mode, boolean force) {
    if (mode == Mode.FORWARD && subject != null) {
      throw SchemaRegistryException.of(
          422, ErrorCodes.INVALID_MODE, "Forward mode only supported on " + "global level");
    }
    if (mode == Mode.IMPORT && effectiveMode(subject) != Mode.IMPORT && !force) {
      List<String> inScope =
          subject == null
              ? new ArrayList<>(subjects.keySet())
              : subjects.containsKey(subject) ? List.of(subject) : List.of();
      for (String s : inScope) {
        if (!live(subjects.get(s)).isEmpty()) {
          throw SchemaRegistryException.of(
              422,
              ErrorCodes.OPERATION_NOT_PERMITTED,
              "Cannot import since found existing subjects");
        }
      }
      for (String s : inScope) {
        for (Version v : new ArrayList<>(subjects.get(s).values())) {
          writeThenApply(schemaKey(s, v.version), null);
        }
      }
    }
    writeThenApply(
        configKey("MODE", subject), JSON.createObjectNode().put("mode", mode.name()).toString());
    return mode;
  }

  /**
   * Removes the subject's own mode (or resets the global one to READWRITE); returns the mode it
   * had.
   */
  public synchronized Mode clearMode(String subject) {
    Mode had = subject == null ? globalMode : subjectModes.get(subject);
    if (had == null) {
      throw subjectNotFound(subject);
    }
    writeThenApply(configKey("MODE", subject), null);
    return had;
  }

  // ---------------------------------------------------------------- log

  private void writeThenApply(String key, String value) {
    try {
      log.append(key, value);
    } catch (RuntimeException e) {
      throw new SchemaRegistryException(
          500,
          ErrorCodes.STORE_ERROR,
          "Error while writing to the schema store (" + log.describe() + "): " + e.getMessage(),
          e);
    }
    apply(key, value);
  }

  private void apply(String key, String value) {
    JsonNode k;
    JsonNode v;
    try {
      k = JSON.readTree(key);
      v = value == null ? null : JSON.readTree(value);
    } catch (IOException e) {
      throw new IllegalStateException("corrupt record in " + log.describe() + ": key " + key, e);
    }
    String subject =
        k.path("subject").isNull() || k.path("subject").isMissingNode()
            ? null
            : k.path("subject").asText();
    switch (k.path("keytype").asText()) {
      case "SCHEMA" -> {
        int version = k.path("version").asInt();
        if (v == null) {
          TreeMap<Integer, Version> versions = subjects.get(subject);
          if (versions != null) {
            versions.remove(version);
            if (versions.isEmpty()) {
              subjects.remove(subject);
            }
          }
          return;
        }
        String normalized = v.path("schema").asText();
        int id = v.path("id").asInt();
        JsonNode metadata = v.hasNonNull("metadata") ? v.get("metadata") : null;
        JsonNode ruleSet = v.hasNonNull("ruleSet") ? v.get("ruleSet") : null;
        String guid =
            v.hasNonNull("guid")
                ? v.get("guid").asText()
                : guidFor(contentKey(normalized, metadata, ruleSet));
        Schema schema = new Schema.Parser().parse(normalized);
        subjects
            .computeIfAbsent(subject, s -> new TreeMap<>())
            .put(
                version,
                new Version(
                    subject,
                    version,
                    id,
                    guid,
                    normalized,
                    schema,
                    metadata,
                    ruleSet,
                    v.path("deleted").asBoolean(false)));
        maxId = Math.max(maxId, id);
      }
      case "CONFIG" -> {
        Config config = null;
        if (v != null) {
          CompatibilityLevel level =
              CompatibilityLevel.parse(v.path("compatibilityLevel").asText(null));
          Boolean normalize = v.hasNonNull("normalize") ? v.get("normalize").asBoolean() : null;
          config = new Config(level, normalize);
        }
        if (subject == null) {
          globalConfig = config == null ? new Config(DEFAULT_LEVEL, null) : config;
        } else if (config == null) {
          subjectConfigs.remove(subject);
        } else {
          subjectConfigs.put(subject, config);
        }
      }
      case "MODE" -> {
        Mode mode = v == null ? null : Mode.parse(v.path("mode").asText());
        if (subject == null) {
          globalMode = mode == null ? Mode.READWRITE : mode;
        } else if (mode == null) {
          subjectModes.remove(subject);
        } else {
          subjectModes.put(subject, mode);
        }
      }
      default -> {
        // unknown record types (written by a newer server) are skipped
      }
    }
  }

  private static String schemaKey(String subject, int version) {
    return JSON.createObjectNode()
        .put("keytype", "SCHEMA")
        .put("subject", subject)
        .put("version", version)
        .toString();
  }

  private static String configKey(String type, String subject) {
    ObjectNode k = JSON.createObjectNode().put("keytype", type);
    if (subject == null) {
      k.putNull("subject");
    } else {
      k.put("subject", subject);
    }
    return k.toString();
  }

  private static String configValue(Config c) {
    ObjectNode n = JSON.createObjectNode();
    if (c.level() != null) {
      n.put("compatibilityLevel", c.level().name());
    }
    if (c.normalize() != null) {
      n.put("normalize", c.normalize());
    }
    return n.toString();
  }

  private static String schemaValue(
      String subject,
      int version,
      int id,
      String guid,
      String schema,
      JsonNode metadata,
      JsonNode ruleSet,
      boolean deleted) {
    ObjectNode n =
        JSON.createObjectNode()
            .put("subject", subject)
            .put("version", version)
            .put("id", id)
            .put("guid", guid)
            .put("schemaType", "AVRO")
            .put("schema", schema);
    if (metadata != null) {
      n.set("metadata", metadata);
    }
    if (ruleSet != null) {
      n.set("ruleSet", ruleSet);
    }
    return n.put("deleted", deleted).toString();
  }

  // ---------------------------------------------------------------- helpers

  private void refuseIfReadOnly(String subject) {
    if (effectiveMode(subject).refusesWrites()) {
      throw SchemaRegistryException.of(
          422,
          ErrorCodes.OPERATION_NOT_PERMITTED,
          "Subject " + subject + " in context . is in read-only mode");
    }
  }

  private void dropSubjectSettings(String subject) {
    if (subjectModes.containsKey(subject)) {
      writeThenApply(configKey("MODE", subject), null);
    }
    if (subjectConfigs.containsKey(subject)) {
      writeThenApply(configKey("CONFIG", subject), null);
    }
  }

  private Version firstWithId(int id) {
    for (TreeMap<Integer, Version> versions : subjects.values()) {
      for (Version v : versions.values()) {
        if (v.id == id) {
          return v;
        }
      }
    }
    return null;
  }

  /**
   * A lookup without metadata or rule set matches on the schema alone, as Confluent's does; when
   * normalizing, a version stored without normalization matches by its normalized form.
   */
  private static boolean matches(
      Version v, String key, String text, SchemaRequest request, boolean normalizing) {
    boolean sameSchema =
        v.normalized.equals(text)
            || (normalizing && AvroNormalizer.normalize(v.schema).equals(text));
    if (request.metadata() == null && request.ruleSet() == null) {
      return sameSchema;
    }
    return sameSchema
        && contentKey("", v.metadata, v.ruleSet)
            .equals(contentKey("", request.metadata(), request.ruleSet()));
  }

  static String contentKey(String normalized, JsonNode metadata, JsonNode ruleSet) {
    return normalized
        + '\u0000'
        + (metadata == null ? "" : metadata.toString())
        + '\u0000'
        + (ruleSet == null ? "" : ruleSet.toString());
  }

  private static String guidFor(String contentKey) {
    return UUID.nameUUIDFromBytes(contentKey.getBytes(StandardCharsets.UTF_8)).toString();
  }

  private TreeMap<Integer, Version> subjectVersions(String subject, boolean includeDeleted) {
    TreeMap<Integer, Version> versions = subjects.get(subject);
    if (versions == null || versions.isEmpty() || (!includeDeleted && live(versions).isEmpty())) {
      throw subjectNotFound(subject);
    }
    return versions;
  }

  private static SchemaRegistryException subjectNotFound(String subject) {
    return SchemaRegistryException.of(
        404, ErrorCodes.SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
  }

  private static SchemaRegistryException versionNotFound(int version) {
    return SchemaRegistryException.of(
        404, ErrorCodes.VERSION_NOT_FOUND, "Version " + version + " not found.");
  }

  private static SchemaRegistryException schemaNotFound(String message) {
    return SchemaRegistryException.of(404, ErrorCodes.SCHEMA_NOT_FOUND, message);
  }

  private static List<Version> live(TreeMap<Integer, Version> versions) {
    List<Version> out = new ArrayList<>();
    for (Version v : versions.values()) {
      if (!v.deleted) {
        out.add(v);
      }
    }
    return out;
  }

  private static Version lastOf(TreeMap<Integer, Version> versions, boolean includeDeleted) {
    for (Version v : versions.descendingMap().values()) {
      if (includeDeleted || !v.deleted) {
        return v;
      }
    }
    return null;
  }

  static Schema parse(String schemaText) {
    if (schemaText == null || schemaText.isBlank()) {
      throw SchemaRegistryException.of(422, ErrorCodes.INVALID_SCHEMA, "Empty schema");
    }
    try {
      return new Schema.Parser().parse(schemaText);
    } catch (RuntimeException | StackOverflowError e) {
      String shown = schemaText.length() > 200 ? schemaText.substring(0, 200) + "..." : schemaText;
      throw SchemaRegistryException.of(
          422,
          ErrorCodes.INVALID_SCHEMA,
          "Invalid schema "
              + shown
              + ", details: "
              + (e instanceof StackOverflowError ? "schema nested too deeply" : e.getMessage()));
    }
  }
}
