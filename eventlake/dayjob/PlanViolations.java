package eventlake.dayjob;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.api.java.UDF3;

/**
 * One event type's `schema_violations` entries, from one pass over a record's top-level keys.
 *
 * <p>Called by plan_columns.py (which says what each entry means) for valid events of the type,
 * as (raw record, event name declared?, null mask). The mask has a '1' where the typed parse
 * of the same record gave null: that parse (Spark's from_json) decides what fits a declared
 * type; this pass adds what the parse cannot tell: whether the key is there, whether its value
 * is JSON null, whether a string field held a string (Spark gives any token's text for a string
 * column), and which keys the type does not declare. Later duplicates of a key win, as in the
 * parse.
 */
public final class PlanViolations implements UDF3<String, Boolean, String, String[]> {
  private static final String[] NONE = new String[0];
  // No limits beyond what the contract's own parse (Spark's) already accepted.
  private static final JsonFactory JSON =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(Integer.MAX_VALUE)
                  .maxNumberLength(Integer.MAX_VALUE)
                  .maxStringLength(Integer.MAX_VALUE)
                  .build())
          .build();

  /** What the token itself must be, beyond what the typed parse checks. */
  private enum Kind {
    STRING,
    NUMBER,
    OBJECT_TEXT,
    ARRAY_TEXT,
    PARSED
  }

  private final String[] wrongEntry;
  private final String[] missingEntry;
  private final Kind[] kinds;
  private final Map<String, Integer> index = new HashMap<>();
  private final Set<String> declared = new HashSet<>();
  private final String unknownNameEntry;
  private final String undeclaredSuffix;

  /**
   * spec: {"fields": [{"name", "kind", "required"}...], "declared": [every declared key],
   * "unknown_name_entry": "...", "wrong_suffix", "missing_suffix", "undeclared_suffix"}.
   */
  public PlanViolations(String spec) throws IOException {
    JsonNode doc = new ObjectMapper().readTree(spec);
    JsonNode fields = doc.get("fields");
    int n = fields.size();
    wrongEntry = new String[n];
    missingEntry = new String[n];
    kinds = new Kind[n];
    String wrong = doc.get("wrong_suffix").asText();
    String missing = doc.get("missing_suffix").asText();
    for (int i = 0; i < n; i++) {
      JsonNode field = fields.get(i);
      String name = field.get("name").asText();
      kinds[i] = Kind.valueOf(field.get("kind").asText());
      wrongEntry[i] = name + wrong;
      missingEntry[i] = field.get("required").asBoolean() ? name + missing : null;
      index.put(name, i);
    }
    for (JsonNode key : doc.get("declared")) declared.add(key.asText());
    unknownNameEntry = doc.get("unknown_name_entry").asText();
    undeclaredSuffix = doc.get("undeclared_suffix").asText();
  }

  @Override
  public String[] call(String raw, Boolean nameDeclared, String nullMask) {
    if (raw == null) return null;
    int n = kinds.length;
    boolean[] present = new boolean[n];
    boolean[] fits = new boolean[n];
    TreeSet<String> undeclared = null;
    // The contract's parse (the same Jackson, as strict) accepted the record, so this one
    // does too; if it ever stopped early, the keys read so far still give their entries.
    try (JsonParser parser = JSON.createParser(raw)) {
      if (parser.nextToken() == JsonToken.START_OBJECT) {
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String key = parser.currentName();
          JsonToken token = parser.nextToken();
          Integer i = index.get(key);
          if (i != null) {
            // A JSON null is an absent value: it fits, and only a required field misses it.
            present[i] = token != JsonToken.VALUE_NULL;
            fits[i] = !present[i] || tokenFits(kinds[i], token, parser);
          } else if (!declared.contains(key)) {
            if (undeclared == null) undeclared = new TreeSet<>(PlanViolations::byCodePoint);
            undeclared.add(key);
          }
          parser.skipChildren();
        }
      }
    } catch (IOException stoppedEarly) {
      // keep what was read
    }
    List<String> entries = new ArrayList<>(0);
    if (!Boolean.TRUE.equals(nameDeclared)) entries.add(unknownNameEntry);
    for (int i = 0; i < n; i++) {
      boolean typedNull = nullMask == null || nullMask.length() <= i || nullMask.charAt(i) == '1';
      if (present[i] && (typedNull || !fits[i])) entries.add(wrongEntry[i]);
      else if (typedNull && missingEntry[i] != null) entries.add(missingEntry[i]);
    }
    if (undeclared != null) for (String key : undeclared) entries.add(key + undeclaredSuffix);
    return entries.isEmpty() ? NONE : entries.toArray(NONE);
  }

  private static boolean tokenFits(Kind kind, JsonToken token, JsonParser parser)
      throws IOException {
    switch (kind) {
      case STRING:
        return token == JsonToken.VALUE_STRING;
      case OBJECT_TEXT:
        return token == JsonToken.START_OBJECT;
      case ARRAY_TEXT:
        return token == JsonToken.START_ARRAY;
      case NUMBER: // 1e400 is JSON, but no double holds it
        return token.isNumeric() && Double.isFinite(parser.getDoubleValue());
      default:
        return true;
    }
  }

  /** Spark's order for strings (array_sort): by UTF-8 bytes, which is code point order. */
  private static int byCodePoint(String a, String b) {
    return Arrays.compareUnsigned(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
