import Foundation
import PostlsCore

/// Validates JSON documents against the project's JSON Schemas (docs/json/, draft 2020-12) with Debian's
/// `python3-jsonschema` (Draft202012Validator, format checking on; Debian 12's has no `date-time` checker without
/// rfc3339-validator, so the schemas also give timestamps a `pattern`). The schemas refer to each other by relative
/// reference (`common.schema.json#/$defs/cause`): every schema of the folder is loaded, checked against the
/// metaschema, and offered to the resolver. Runs /usr/bin/python3 with an argument vector, never a shell.
public enum JSONSchemaValidator {
    /// Debian's interpreter: its `jsonschema` is the one scripts/test.sh installs (python3-jsonschema).
    public static let python = "/usr/bin/python3"

    /// The project's schema folder, found from this source file (Sources/TestSupport/ → docs/json/).
    public static var schemaDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/json").path
    }

    /// Whether Debian's python3 with jsonschema is there (under CI the tests run anyway and fail by name).
    public static var isAvailable: Bool {
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        return (try? SystemProcessRunner().run(python, ["-c", "import jsonschema"], timeout: 30).status) == 0
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// How the document is given: one JSON value, or JSON Lines (one value a line, e.g. `logs --follow --json`).
    public enum Layout: String, Sendable { case document, lines }

    /// The validation errors of `json` against `schema` (a file name in `directory`, e.g. "probe.schema.json"),
    /// optionally against one of its definitions (`fragment`, e.g. "/$defs/event"). Empty means valid.
    /// Throws when the validator itself cannot run (no python3, no jsonschema, an invalid schema, not JSON): a
    /// validator that cannot run never passes a document.
    public static func validate(json: String, schema: String, fragment: String = "", layout: Layout = .document,
                                directory: String = schemaDirectory) throws -> [String] {
        let out = try SystemProcessRunner().run(python, ["-c", script, directory, schema, fragment, layout.rawValue],
                                                stdin: Data(json.utf8), environment: nil, timeout: 120)
        // 3 is the script's "not valid"; python itself exits 1 on an exception (not JSON, a broken schema).
        switch out.status {
        case 0: return []
        case 3: return out.stdout.split(separator: "\n").map(String.init)
        default: throw Failure(description: "the schema validator failed (status \(out.status)): \(out.stderr)\(out.stdout)")
        }
    }

    /// Metaschema errors of every schema in `directory` (empty: all are valid 2020-12 schemas), and the files checked.
    public static func checkSchemas(directory: String = schemaDirectory) throws -> (checked: [String], errors: [String]) {
        let out = try SystemProcessRunner().run(python, ["-c", checkScript, directory], timeout: 120)
        guard out.status == 0 || out.status == 3 else {
            throw Failure(description: "the schema check failed (status \(out.status)): \(out.stderr)")
        }
        var checked: [String] = [], errors: [String] = []
        for line in out.stdout.split(separator: "\n") {
            if line.hasPrefix("ok ") { checked.append(String(line.dropFirst(3))) } else { errors.append(String(line)) }
        }
        return (checked, errors)
    }

    private static let loader = """
        import json, os, sys
        import jsonschema
        from jsonschema import Draft202012Validator

        def load_store(directory):
            store = {}
            for name in sorted(os.listdir(directory)):
                if name.endswith(".schema.json"):
                    with open(os.path.join(directory, name), encoding="utf-8") as f:
                        store[name] = json.load(f)
            return store

        def validator_for(root, store):
            resources = {s["$id"]: s for s in store.values()}
            checker = Draft202012Validator.FORMAT_CHECKER
            try:
                from referencing import Registry, Resource
                registry = Registry().with_resources([(k, Resource.from_contents(v)) for k, v in resources.items()])
                return Draft202012Validator(root, registry=registry, format_checker=checker)
            except ImportError:
                resolver = jsonschema.RefResolver.from_schema(root, store=resources)
                return Draft202012Validator(root, resolver=resolver, format_checker=checker)

        """

    private static let script = loader + """
        directory, name, fragment, layout = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
        store = load_store(directory)
        for s in store.values():
            Draft202012Validator.check_schema(s)
        root = store[name]
        if fragment:
            root = {"$schema": root["$schema"], "$ref": root["$id"] + "#" + fragment}
        validator = validator_for(root, store)
        text = sys.stdin.read()
        documents = [json.loads(l) for l in text.splitlines() if l.strip()] if layout == "lines" else [json.loads(text)]
        if not documents:
            print("/: no JSON document at all")
            sys.exit(3)
        errors = []
        for index, document in enumerate(documents):
            for e in sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path]):
                where = "/" + "/".join(str(p) for p in e.absolute_path)
                errors.append((f"[{index}]" if layout == "lines" else "") + where + ": " + e.message[:400])
        print("\\n".join(errors))
        sys.exit(3 if errors else 0)
        """

    private static let checkScript = loader + """
        status = 0
        for name, s in load_store(sys.argv[1]).items():
            try:
                Draft202012Validator.check_schema(s)
                print("ok " + name)
            except jsonschema.exceptions.SchemaError as e:
                status = 3
                print(name + ": " + e.message)
        sys.exit(status)
        """
}
