package eventlake.dayjob;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.catalyst.util.DateTimeUtils;
import org.apache.spark.unsafe.types.UTF8String;
import scala.Option;

/**
 * The event contract and the tracking plan, applied in one pass over a raw record's bytes.
 *
 * <p>Called by record_check.py, which builds the spec from eventlake.core (every rule, limit,
 * reason and declaration comes from Python; this class only applies them) and says what each
 * output column means. Returns (reason, reason_field, event_uuid, event_name, created_at,
 * schema_violations, one typed struct per planned type).
 *
 * <p>The contract as validate_record applies it: strict UTF-8, exactly one JSON value with
 * whitespace around it, the parse limits, a repeated key's last value wins, JSON null is
 * missing, then the rules in precedence order. A valid event is then checked against its
 * type's declaration: a top-level field's last value either fits its declared type (and is its
 * typed value) or is a wrong_type entry (and its typed value is null). Inside a declared object
 * or array, values convert as Spark's from_json converts them (a nested misfit reads null and
 * is no entry), so the lake's nested columns read as Spark would have read the payload.
 */
public final class RecordCheck implements UDF2<byte[], Double, Row> {
  private static final long serialVersionUID = 1L;
  private final String spec;
  private transient Checker checker; // built from the spec, again after deserialization

  /** spec: see record_check.check_spec. */
  public RecordCheck(String spec) throws IOException {
    this.spec = spec;
    checker = new Checker(spec); // a bad spec fails when the function is registered
  }

  @Override
  public Row call(byte[] raw, Double arrival) throws IOException {
    if (checker == null) checker = new Checker(spec);
    return checker.check(raw, arrival);
  }

  private enum Kind {
    STRING,
    INTEGER,
    NUMBER,
    BOOLEAN,
    TIMESTAMP,
    ARRAY,
    OBJECT,
    ARRAY_TEXT,
    OBJECT_TEXT
  }

  /** One declared field (or an array's element): its kind and, for containers, its shape. */
  private static final class Field {
    final String name;
    final Kind kind;
    final boolean required;
    final Field items;
    final Field[] fields;
    final Map<String, Integer> index = new HashMap<>();
    String wrongEntry;
    String missingEntry;

    Field(JsonNode spec) {
      name = spec.get("name").asText();
      required = spec.path("required").asBoolean(false);
      JsonNode itemSpec = spec.get("items");
      JsonNode fieldSpecs = spec.get("fields");
      items = itemSpec == null || itemSpec.isNull() ? null : new Field(itemSpec);
      if (fieldSpecs == null || fieldSpecs.isNull()) {
        fields = null;
      } else {
        fields = new Field[fieldSpecs.size()];
        for (int i = 0; i < fields.length; i++) {
          fields[i] = new Field(fieldSpecs.get(i));
          index.put(fields[i].name, i);
        }
      }
      String type = spec.get("type").asText();
      switch (type) {
        case "array":
          kind = items == null ? Kind.ARRAY_TEXT : Kind.ARRAY;
          break;
        case "object":
          kind = fields == null ? Kind.OBJECT_TEXT : Kind.OBJECT;
          break;
        default:
          kind = Kind.valueOf(type.toUpperCase());
      }
    }
  }

  /** One planned event type. */
  private static final class Type {
    final int slot;
    final Set<String> names = new HashSet<>();
    final Field[] fields;
    final Set<String> declared = new HashSet<>();
    final boolean quarantine;

    Type(int slot, JsonNode spec, Set<String> common, String quarantinePolicy) {
      this.slot = slot;
      for (JsonNode name : spec.get("event_names")) names.add(name.asText());
      JsonNode fieldSpecs = spec.get("fields");
      fields = new Field[fieldSpecs.size()];
      declared.addAll(common);
      for (int i = 0; i < fields.length; i++) {
        fields[i] = new Field(fieldSpecs.get(i));
        declared.add(fields[i].name);
      }
      quarantine = spec.get("policy").asText().equals(quarantinePolicy);
    }
  }

  /** A top-level key's last value: its token, its text if a scalar, its span if a container. */
  private static final class Value {
    JsonToken token;
    String text;
    int start;
    int end;
    private double number = Double.NaN; // no JSON number reads as NaN

    /** A numeric token's value, parsed on first use (created_at is read twice). */
    double number() {
      if (Double.isNaN(number)) number = Double.parseDouble(text);
      return number;
    }
  }

  /** A value that does not convert to its declared type. */
  private static final class Misfit extends Exception {
    private static final long serialVersionUID = 1L;

    Misfit() {
      super(null, null, false, false);
    }
  }

  private static final Misfit MISFIT = new Misfit();

  /** The spec, compiled: what a call applies. */
  private static final class Checker {
    private static final String[] NONE = new String[0];
    // The contract's reasons this class names; the spec must list each (eventlake.core.contract).
    private static final String[] USED_REASONS = {
      "record_too_large",
      "unparseable_json",
      "not_a_json_object",
      "missing_field",
      "wrong_type",
      "created_at_in_millis",
      "created_at_in_future",
      "created_at_too_old"
    };

    private final int maxBytes;
    private final double maxAgeS;
    private final double maxSkewS;
    private final double millisThreshold;
    private final String[] required = new String[3]; // event_uuid, event_name, created_at
    private final Pattern[] patterns = new Pattern[2];
    private final int[] maxLengths = new int[2];
    private final String[] formatReasons = new String[2];
    private final JsonFactory json;

    private final boolean planned;
    private final Type[] types;
    private final Map<String, Type> typeByName = new HashMap<>();
    private final Set<String> captured = new HashSet<>();
    private final String unknownNameEntry;
    private final String undeclaredSuffix;
    private final boolean unknownNameQuarantine;
    private final String schemaViolation;

    Checker(String spec) throws IOException {
      JsonNode doc = new ObjectMapper().readTree(spec);
      JsonNode contract = doc.get("contract");
      maxBytes = contract.get("max_event_bytes").asInt();
      maxAgeS = contract.get("max_event_age_s").asDouble();
      maxSkewS = contract.get("max_future_skew_s").asDouble();
      millisThreshold = contract.get("millis_threshold").asDouble();
      JsonNode fields = contract.get("fields");
      for (int i = 0; i < 3; i++) required[i] = fields.get(i).get("name").asText();
      for (int i = 0; i < 2; i++) {
        patterns[i] = Pattern.compile(fields.get(i).get("pattern").asText());
        maxLengths[i] = fields.get(i).get("max_length").asInt();
        formatReasons[i] = fields.get(i).get("format_reason").asText();
      }
      Set<String> reasons = new HashSet<>();
      for (JsonNode reason : contract.get("reasons")) reasons.add(reason.asText());
      List<String> named = new ArrayList<>(Arrays.asList(USED_REASONS));
      named.addAll(Arrays.asList(formatReasons));
      for (String reason : named) {
        if (!reasons.contains(reason)) throw new IllegalArgumentException("no reason " + reason);
      }
      json =
          JsonFactory.builder()
              .streamReadConstraints(
                  StreamReadConstraints.builder()
                      .maxNestingDepth(contract.get("max_nesting_depth").asInt())
                      .maxNumberLength(contract.get("max_number_length").asInt())
                      .maxStringLength(Integer.MAX_VALUE)
                      .maxNameLength(Integer.MAX_VALUE)
                      .build())
              .build();

      JsonNode plan = doc.get("plan");
      String quarantinePolicy = plan.get("quarantine_policy").asText();
      Set<String> common = new HashSet<>();
      for (JsonNode name : plan.get("common_fields")) common.add(name.asText());
      JsonNode typeSpecs = plan.get("types");
      planned = typeSpecs.size() > 0;
      types = new Type[typeSpecs.size()];
      for (int i = 0; i < types.length; i++) {
        types[i] = new Type(i, typeSpecs.get(i), common, quarantinePolicy);
        typeByName.put(typeSpecs.get(i).get("name").asText(), types[i]);
        for (Field field : types[i].fields) {
          captured.add(field.name);
          field.wrongEntry = field.name + plan.get("wrong_suffix").asText();
          String missing = field.name + plan.get("missing_suffix").asText();
          field.missingEntry = field.required ? missing : null;
        }
      }
      captured.addAll(Arrays.asList(required));
      unknownNameEntry = plan.get("unknown_name_entry").asText();
      undeclaredSuffix = plan.get("undeclared_suffix").asText();
      unknownNameQuarantine = plan.get("unknown_name_policy").asText().equals(quarantinePolicy);
      schemaViolation = plan.get("schema_violation_reason").asText();
    }

    Row check(byte[] raw, Double arrival) {
      if (raw == null) return invalid("unparseable_json", null); // no text is not an event
      if (raw.length > maxBytes) return invalid("record_too_large", null);
      String text = strictUtf8(raw);
      if (text == null) return invalid("unparseable_json", null);
      Map<String, Value> values = new HashMap<>();
      List<String> keys = new ArrayList<>();
      try (JsonParser parser = json.createParser(text)) {
        JsonToken root = parser.nextToken();
        if (root == null) return invalid("unparseable_json", null);
        boolean object = root == JsonToken.START_OBJECT;
        if (object) {
          while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            JsonToken token = parser.nextToken();
            keys.add(key);
            if (captured.contains(key)) values.put(key, capture(parser, token));
            else parser.skipChildren();
          }
        } else {
          parser.skipChildren();
        }
        if (parser.nextToken() != null) return invalid("unparseable_json", null);
        if (!object) return invalid("not_a_json_object", null);
      } catch (IOException notJson) {
        return invalid("unparseable_json", null);
      }
      Row failed = contractFailure(values, arrival);
      if (failed != null) return failed;
      String uuid = values.get(required[0]).text;
      String name = values.get(required[1]).text;
      double createdAt = values.get(required[2]).number();
      Object[] out = new Object[6 + types.length];
      out[2] = uuid;
      out[3] = name;
      out[4] = createdAt;
      if (!planned) {
        out[5] = NONE;
        return RowFactory.create(out);
      }
      List<String> entries = new ArrayList<>(0);
      Type type = typeByName.get(name.substring(0, name.indexOf(':')));
      boolean quarantine = unknownNameQuarantine;
      String blocking = null; // the field of the first entry a quarantine policy acts on
      if (type == null || !type.names.contains(name)) {
        entries.add(unknownNameEntry);
        blocking = required[1];
      }
      if (type != null) {
        quarantine = type.quarantine;
        Object[] typed = new Object[type.fields.length];
        for (int i = 0; i < typed.length; i++) {
          Field field = type.fields[i];
          Value value = values.get(field.name);
          String entry = null;
          if (value == null || value.token == JsonToken.VALUE_NULL) {
            entry = field.missingEntry;
          } else {
            try {
              typed[i] = topLevel(field, value, text);
            } catch (Misfit | IOException | RuntimeException misfit) { // never fail the night
              entry = field.wrongEntry;
            }
          }
          if (entry != null) {
            entries.add(entry);
            if (blocking == null) blocking = field.name;
          }
        }
        out[6 + type.slot] = RowFactory.create(typed);
        TreeSet<String> undeclared = null;
        for (String key : keys) {
          if (type.declared.contains(key)) continue;
          if (undeclared == null) undeclared = new TreeSet<>(Checker::byCodePoint);
          undeclared.add(key);
        }
        if (undeclared != null) for (String key : undeclared) entries.add(key + undeclaredSuffix);
      }
      out[5] = entries.toArray(NONE);
      if (quarantine && blocking != null) {
        out[0] = schemaViolation;
        out[1] = blocking;
      }
      return RowFactory.create(out);
    }

    private Row invalid(String reason, String field) {
      Object[] out = new Object[6 + types.length];
      out[0] = reason;
      out[1] = field;
      return RowFactory.create(out);
    }

    /** The text of valid UTF-8 bytes, else null (a lossy decode would hide what was sent). */
    private static String strictUtf8(byte[] raw) {
      boolean ascii = true;
      for (byte b : raw) {
        if (b < 0) {
          ascii = false;
          break;
        }
      }
      if (ascii) return new String(raw, StandardCharsets.ISO_8859_1);
      try {
        return StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(raw))
            .toString();
      } catch (CharacterCodingException notUtf8) {
        return null;
      }
    }

    private static Value capture(JsonParser parser, JsonToken token) throws IOException {
      Value value = new Value();
      value.token = token;
      if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
        value.start = (int) parser.currentTokenLocation().getCharOffset();
        parser.skipChildren();
        value.end = (int) parser.currentTokenLocation().getCharOffset() + 1;
      } else if (token != JsonToken.VALUE_NULL) {
        value.text = parser.getText();
      }
      return value;
    }

    /** The row of the contract's first failing rule, or null for a valid event. */
    private Row contractFailure(Map<String, Value> values, Double arrival) {
      Value[] found = new Value[3];
      for (int i = 0; i < 3; i++) {
        found[i] = values.get(required[i]);
        if (found[i] == null || found[i].token == JsonToken.VALUE_NULL) {
          return invalid("missing_field", required[i]);
        }
      }
      for (int i = 0; i < 2; i++) {
        if (found[i].token != JsonToken.VALUE_STRING) return invalid("wrong_type", required[i]);
      }
      if (!found[2].token.isNumeric()) return invalid("wrong_type", required[2]);
      for (int i = 0; i < 2; i++) {
        String value = found[i].text;
        if (value.codePointCount(0, value.length()) > maxLengths[i]
            || !patterns[i].matcher(value).matches()) {
          return invalid(formatReasons[i], required[i]);
        }
      }
      double createdAt = found[2].number();
      double at = arrival == null ? Double.NaN : arrival; // no time rule holds without one
      double earliest = at - maxAgeS;
      double latest = at + maxSkewS;
      String time = null;
      if (createdAt >= millisThreshold
          && createdAt / 1000.0 >= earliest
          && createdAt / 1000.0 <= latest) time = "created_at_in_millis";
      else if (createdAt > latest) time = "created_at_in_future";
      else if (createdAt < earliest) time = "created_at_too_old";
      return time == null ? null : invalid(time, required[2]);
    }

    /** A top-level field's value: its last token must be of the declared kind and convert. */
    private Object topLevel(Field field, Value value, String text) throws Misfit, IOException {
      JsonToken token = value.token;
      switch (field.kind) {
        case STRING:
          if (token != JsonToken.VALUE_STRING) throw MISFIT;
          return value.text;
        case NUMBER:
          if (!token.isNumeric()) throw MISFIT;
          double number = value.number();
          if (!Double.isFinite(number)) throw MISFIT; // 1e400 is JSON, but no double holds it
          return number;
        case INTEGER:
          if (token != JsonToken.VALUE_NUMBER_INT) throw MISFIT;
          return integer(value.text);
        case BOOLEAN:
          if (token != JsonToken.VALUE_TRUE && token != JsonToken.VALUE_FALSE) throw MISFIT;
          return token == JsonToken.VALUE_TRUE;
        case TIMESTAMP:
          return timestamp(token, value.text);
        default:
          boolean array = field.kind == Kind.ARRAY || field.kind == Kind.ARRAY_TEXT;
          if (token != (array ? JsonToken.START_ARRAY : JsonToken.START_OBJECT)) throw MISFIT;
          try (JsonParser parser = json.createParser(text.substring(value.start, value.end))) {
            parser.nextToken();
            return nested(field, parser);
          }
      }
    }

    /** A value inside a declared container, converted as Spark's from_json converts it. */
    private Object nested(Field field, JsonParser parser) throws Misfit, IOException {
      JsonToken token = parser.currentToken();
      if (token == JsonToken.VALUE_NULL) return null;
      switch (field.kind) {
        case STRING:
        case ARRAY_TEXT:
        case OBJECT_TEXT:
          // Spark gives any other token's JSON text (re-serialized) for a string.
          return token == JsonToken.VALUE_STRING ? parser.getText() : jsonText(parser);
        case NUMBER:
          if (!token.isNumeric()) throw MISFIT;
          return parser.getDoubleValue();
        case INTEGER:
          if (token != JsonToken.VALUE_NUMBER_INT) throw MISFIT;
          return integer(parser.getText());
        case BOOLEAN:
          if (token != JsonToken.VALUE_TRUE && token != JsonToken.VALUE_FALSE) throw MISFIT;
          return token == JsonToken.VALUE_TRUE;
        case TIMESTAMP:
          boolean scalar = token == JsonToken.VALUE_STRING || token.isNumeric();
          return timestamp(token, scalar ? parser.getText() : null);
        case ARRAY:
          if (token != JsonToken.START_ARRAY) throw MISFIT;
          List<Object> elements = new ArrayList<>();
          while (parser.nextToken() != JsonToken.END_ARRAY) {
            try {
              elements.add(nested(field.items, parser));
            } catch (Misfit misfit) { // the whole array fails; read past it
              parser.skipChildren();
              while (parser.nextToken() != JsonToken.END_ARRAY) parser.skipChildren();
              throw misfit;
            }
          }
          return elements;
        default: // OBJECT
          if (token != JsonToken.START_OBJECT) throw MISFIT;
          Object[] row = new Object[field.fields.length];
          while (parser.nextToken() == JsonToken.FIELD_NAME) {
            Integer i = field.index.get(parser.currentName());
            parser.nextToken();
            if (i == null) {
              parser.skipChildren();
              continue;
            }
            try {
              row[i] = nested(field.fields[i], parser);
            } catch (Misfit misfit) { // this field keeps what it had; the rest still reads
              parser.skipChildren();
            }
          }
          return RowFactory.create(row);
      }
    }

    private String jsonText(JsonParser parser) throws IOException {
      StringWriter out = new StringWriter();
      try (JsonGenerator generator = json.createGenerator(out)) {
        generator.copyCurrentStructure(parser);
      }
      return out.toString();
    }

    private static long integer(String text) throws Misfit {
      try {
        return Long.parseLong(text);
      } catch (NumberFormatException beyondLong) {
        throw MISFIT;
      }
    }

    /** Spark's JSON timestamp: an ISO 8601 string (UTC unless it says), or integer seconds. */
    private static Instant timestamp(JsonToken token, String text) throws Misfit {
      long micros;
      if (token == JsonToken.VALUE_NUMBER_INT) {
        micros = integer(text) * 1000000L; // Spark's multiplication, overflow included
      } else if (token == JsonToken.VALUE_STRING && !text.isEmpty()) {
        UTF8String string = UTF8String.fromString(text);
        Option<Object> parsed = DateTimeUtils.stringToTimestamp(string, ZoneOffset.UTC);
        if (parsed.isEmpty()) {
          UTF8String cleaned = DateTimeUtils.cleanLegacyTimestampStr(string);
          parsed = DateTimeUtils.stringToTimestamp(cleaned, ZoneOffset.UTC);
        }
        if (parsed.isEmpty()) throw MISFIT;
        micros = (Long) parsed.get();
      } else {
        throw MISFIT;
      }
      long seconds = Math.floorDiv(micros, 1000000L);
      return Instant.ofEpochSecond(seconds, Math.floorMod(micros, 1000000L) * 1000L);
    }

    /** Spark's order for strings (array_sort): by UTF-8 bytes, which is code point order. */
    private static int byCodePoint(String a, String b) {
      return Arrays.compareUnsigned(
          a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
  }
}
