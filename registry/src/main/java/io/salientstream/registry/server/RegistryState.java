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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.avro.Schema;

/**
 * The registry's state and its rules, rebuilt from a {@link SchemaLog} and changed only by writing to it first
 * (write, then apply). One writer per log: this class is synchronized, and two servers over the same log would
 * each assign ids without seeing the other's.
 *
 * <p>Log records (JSON): key {@code {"keytype":"SCHEMA","subject":s,"version":v}} with value
 * {@code {"subject","version","id","schemaType":"AVRO","schema","deleted"}}; key
 * {@code {"keytype":"CONFIG","subject":s|null}} with value {@code {"compatibilityLevel":L}} or a tombstone.
 * Every key names the one thing it describes, so compaction keeps the latest state of each.
 */
public final class RegistryState {
    public static final CompatibilityLevel DEFAULT_LEVEL = CompatibilityLevel.BACKWARD;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One version of a subject. {@code normalized} is the identity of the schema. */
    record Version(String subject, int version, int id, String normalized, Schema schema, boolean deleted) {
        SchemaMetadata metadata() {
            return new SchemaMetadata(subject, version, id, normalized);
        }
    }

    private final SchemaLog log;
    private final Map<String, TreeMap<Integer, Version>> subjects = new HashMap<>();
    private final Map<Integer, String> schemaById = new HashMap<>();
    private final Map<String, Integer> idBySchema = new HashMap<>();
    private final Map<String, CompatibilityLevel> subjectLevels = new HashMap<>();
    private CompatibilityLevel globalLevel = DEFAULT_LEVEL;
    private int maxId;

    public RegistryState(SchemaLog log) {
        this.log = log;
        log.replay(this::apply);
    }

    // ---------------------------------------------------------------- reads

    public synchronized List<String> subjects(boolean includeDeleted) {
        TreeSet<String> out = new TreeSet<>();
        subjects.forEach((s, versions) -> {
            if (includeDeleted || versions.values().stream().anyMatch(v -> !v.deleted)) {
                out.add(s);
            }
        });
        return new ArrayList<>(out);
    }

    public synchronized List<Integer> versions(String subject, boolean includeDeleted) {
        List<Integer> out = new ArrayList<>();
        for (Version v : subjectVersions(subject, includeDeleted).values()) {
            if (includeDeleted || !v.deleted) {
                out.add(v.version);
            }
        }
        return out;
    }

    /** {@code version} is a positive number, or -1 for the latest. */
    public synchronized SchemaMetadata version(String subject, int version, boolean includeDeleted) {
        TreeMap<Integer, Version> versions = subjectVersions(subject, includeDeleted);
        Version v;
        if (version == -1) {
            v = live(versions).isEmpty() && !includeDeleted ? null : lastOf(versions, includeDeleted);
        } else {
            v = versions.get(version);
            if (v != null && v.deleted && !includeDeleted) {
                v = null;
            }
        }
        if (v == null) {
            throw SchemaRegistryException.of(404, ErrorCodes.VERSION_NOT_FOUND, "Version " + version
                    + " not found.");
        }
        return v.metadata();
    }

    public synchronized String schemaById(int id) {
        String s = schemaById.get(id);
        if (s == null) {
            throw SchemaRegistryException.of(404, ErrorCodes.SCHEMA_NOT_FOUND, "Schema " + id + " not found");
        }
        return s;
    }

    /** (subject, version) pairs that use schema {@code id}. */
    public synchronized List<SchemaMetadata> usesOf(int id) {
        schemaById(id);
        List<SchemaMetadata> out = new ArrayList<>();
        for (String s : new TreeSet<>(subjects.keySet())) {
            for (Version v : subjects.get(s).values()) {
                if (v.id == id && !v.deleted) {
                    out.add(v.metadata());
                }
            }
        }
        return out;
    }

    /** {@code POST /subjects/{subject}}: the live version of {@code subject} holding this schema. */
    public synchronized SchemaMetadata lookup(String subject, String schemaText) {
        Schema schema = parse(schemaText);
        String normalized = schema.toString();
        TreeMap<Integer, Version> versions = subjectVersions(subject, false);
        for (Version v : versions.values()) {
            if (!v.deleted && v.normalized.equals(normalized)) {
                return v.metadata();
            }
        }
        throw SchemaRegistryException.of(404, ErrorCodes.SCHEMA_NOT_FOUND, "Schema not found");
    }

    public synchronized CompatibilityLevel globalLevel() {
        return globalLevel;
    }

    /** The subject's own level, or {@code null} when it has none. */
    public synchronized CompatibilityLevel subjectLevel(String subject) {
        return subjectLevels.get(subject);
    }

    public synchronized CompatibilityLevel effectiveLevel(String subject) {
        return subjectLevels.getOrDefault(subject, globalLevel);
    }

    /**
     * Checks {@code schemaText} against {@code version} of {@code subject} (-1: against what the subject's level
     * requires, like a registration would).
     *
     * @return the incompatibilities; empty when compatible
     */
    public synchronized List<String> checkCompatibility(String subject, int version, String schemaText) {
        Schema candidate = parse(schemaText);
        TreeMap<Integer, Version> versions = subjectVersions(subject, false);
        List<Schema> earlier = new ArrayList<>();
        CompatibilityLevel level = effectiveLevel(subject);
        if (version == -1) {
            live(versions).forEach(v -> earlier.add(v.schema));
        } else {
            Version v = versions.get(version);
            if (v == null || v.deleted) {
                throw SchemaRegistryException.of(404, ErrorCodes.VERSION_NOT_FOUND, "Version " + version
                        + " not found.");
            }
            earlier.add(v.schema);
        }
        return AvroCompatibility.check(level, candidate, earlier);
    }

    // ---------------------------------------------------------------- writes

    /** Registers {@code schemaText} under {@code subject}; returns the id (the existing one if already live). */
    public synchronized int register(String subject, String schemaText) {
        Schema schema = parse(schemaText);
        String normalized = schema.toString();
        TreeMap<Integer, Version> versions = subjects.getOrDefault(subject, new TreeMap<>());
        List<Schema> earlier = new ArrayList<>();
        for (Version v : live(versions)) {
            if (v.normalized.equals(normalized)) {
                return v.id;
            }
            earlier.add(v.schema);
        }
        CompatibilityLevel level = effectiveLevel(subject);
        List<String> problems = AvroCompatibility.check(level, schema, earlier);
        if (!problems.isEmpty()) {
            throw SchemaRegistryException.of(409, ErrorCodes.INCOMPATIBLE_SCHEMA,
                    "Schema being registered is incompatible with an earlier schema for subject \"" + subject
                            + "\", details: " + problems);
        }
        Integer existingId = idBySchema.get(normalized);
        int id = existingId != null ? existingId : maxId + 1;
        int version = versions.isEmpty() ? 1 : versions.lastKey() + 1;
        writeThenApply(schemaKey(subject, version), schemaValue(subject, version, id, normalized, false));
        return id;
    }

    /** Soft-deletes every live version of {@code subject}; returns them. */
    public synchronized List<Integer> deleteSubject(String subject) {
        TreeMap<Integer, Version> versions = subjectVersions(subject, false);
        List<Integer> deleted = new ArrayList<>();
        for (Version v : live(versions)) {
            writeThenApply(schemaKey(subject, v.version), schemaValue(subject, v.version, v.id, v.normalized, true));
            deleted.add(v.version);
        }
        return deleted;
    }

    /** Sets the level of {@code subject}, or the global level when {@code subject} is null. */
    public synchronized CompatibilityLevel setLevel(String subject, CompatibilityLevel level) {
        ObjectNode value = JSON.createObjectNode().put("compatibilityLevel", level.name());
        writeThenApply(configKey(subject), value.toString());
        return level;
    }

    /** Removes the subject's own level; returns the level it had. */
    public synchronized CompatibilityLevel clearLevel(String subject) {
        CompatibilityLevel had = subjectLevels.get(subject);
        if (had == null) {
            throw SchemaRegistryException.of(404, ErrorCodes.SUBJECT_NOT_FOUND, "Subject '" + subject
                    + "' not found.");
        }
        writeThenApply(configKey(subject), null);
        return had;
    }

    // ---------------------------------------------------------------- log

    private void writeThenApply(String key, String value) {
        try {
            log.append(key, value);
        } catch (RuntimeException e) {
            throw new SchemaRegistryException(500, ErrorCodes.STORE_ERROR,
                    "Error while writing to the schema store (" + log.describe() + "): " + e.getMessage(), e);
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
        String subject = k.path("subject").isNull() || k.path("subject").isMissingNode() ? null
                : k.path("subject").asText();
        switch (k.path("keytype").asText()) {
            case "SCHEMA" -> {
                int version = k.path("version").asInt();
                if (v == null) {
                    TreeMap<Integer, Version> versions = subjects.get(subject);
                    if (versions != null) {
                        versions.remove(version);
                    }
                    return;
                }
                String normalized = v.path("schema").asText();
                int id = v.path("id").asInt();
                Schema schema = new Schema.Parser().parse(normalized);
                subjects.computeIfAbsent(subject, s -> new TreeMap<>())
                        .put(version, new Version(subject, version, id, normalized, schema,
                                v.path("deleted").asBoolean(false)));
                schemaById.putIfAbsent(id, normalized);
                idBySchema.putIfAbsent(normalized, id);
                maxId = Math.max(maxId, id);
            }
            case "CONFIG" -> {
                CompatibilityLevel level = v == null ? null
                        : CompatibilityLevel.parse(v.path("compatibilityLevel").asText());
                if (subject == null) {
                    globalLevel = level == null ? DEFAULT_LEVEL : level;
                } else if (level == null) {
                    subjectLevels.remove(subject);
                } else {
                    subjectLevels.put(subject, level);
                }
            }
            default -> {
                // unknown record types (written by a newer server) are skipped
            }
        }
    }

    private static String schemaKey(String subject, int version) {
        return JSON.createObjectNode().put("keytype", "SCHEMA").put("subject", subject).put("version", version)
                .toString();
    }

    private static String configKey(String subject) {
        ObjectNode k = JSON.createObjectNode().put("keytype", "CONFIG");
        if (subject == null) {
            k.putNull("subject");
        } else {
            k.put("subject", subject);
        }
        return k.toString();
    }

    private static String schemaValue(String subject, int version, int id, String schema, boolean deleted) {
        return JSON.createObjectNode().put("subject", subject).put("version", version).put("id", id)
                .put("schemaType", "AVRO").put("schema", schema).put("deleted", deleted).toString();
    }

    // ---------------------------------------------------------------- helpers

    private TreeMap<Integer, Version> subjectVersions(String subject, boolean includeDeleted) {
        TreeMap<Integer, Version> versions = subjects.get(subject);
        if (versions == null || versions.isEmpty() || (!includeDeleted && live(versions).isEmpty())) {
            throw SchemaRegistryException.of(404, ErrorCodes.SUBJECT_NOT_FOUND, "Subject '" + subject
                    + "' not found.");
        }
        return versions;
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
        } catch (RuntimeException e) {
            throw SchemaRegistryException.of(422, ErrorCodes.INVALID_SCHEMA, "Invalid schema " + schemaText
                    + ", details: " + e.getMessage());
        }
    }
}
