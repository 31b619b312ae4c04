// validate_manifests.js - checks Kubernetes manifests against the API
// schema, for tests/deploy/test_manifests.py.
//
//   node validate_manifests.js NODE_MODULES FILE.yaml...
//
// NODE_MODULES holds the npm packages `yaml` and `kubernetes-models` (the
// test installs pinned versions). Each YAML document of each file is parsed
// (any YAML error or warning fails), then:
//
//   - a Kubernetes object (apps/v1 Deployment, v1 Service, ...) is built as
//     the kubernetes-models class of its apiVersion and kind and validated
//     against that class's OpenAPI schema;
//   - a KServe ServingRuntime has no class there; its containers and
//     volumes are validated as those of a Pod (they are core/v1 Containers
//     and Volumes); other KServe kinds are left to the Python test.
//
// The schema leaves unknown fields alone, but `kubectl apply` refuses them
// (strict field validation), so a misspelt field would pass unseen. Each
// object is therefore also validated through a proxy that records which
// fields the schema's validator looked at: a field of an object whose
// declared fields were looked at, when that object is not a map (its keys
// enumerated), is unknown. An object the validator never looked into is
// free-form (no schema) and is not judged.
//
// Prints one JSON object: {"documents": [{"file", "index", "object"}],
// "errors": ["file#index kind/name: message", ...]}; exits 1 when there
// are errors, 2 on bad usage.
"use strict";

const fs = require("fs");
const path = require("path");

// Kinds checked only through the core/v1 Pod fields they embed.
const KSERVE_GROUP = "serving.kserve.io/";
const POD_FIELDS_OF = {ServingRuntime: ["containers", "volumes"]};

function usage() {
    process.stderr.write("usage: node validate_manifests.js NODE_MODULES FILE.yaml...\n");
    process.exit(2);
}

// The kubernetes-models class of apiVersion/kind, or null.
function modelClass(modules, apiVersion, kind) {
    const groupVersion = apiVersion.includes("/") ? apiVersion : "v1";
    let mod;
    try {
        mod = require(path.join(modules, "kubernetes-models", groupVersion === "v1" ? "v1"
                                                                                   : groupVersion));
    } catch (e) {
        return null;
    }
    return typeof mod[kind] === "function" ? mod[kind] : null;
}

// A deep copy of value whose objects record what a validator reads.
function recording(value, where, records) {
    if (Array.isArray(value))
        return value.map((v, i) => recording(v, where + "/" + i, records));
    if (value === null || typeof value !== "object")
        return value;
    const copy = {};
    for (const key of Object.keys(value))
        copy[key] = recording(value[key], where + "/" + key, records);
    const record = {where, read: new Set(), enumerated: false, keys: Object.keys(copy)};
    records.push(record);
    return new Proxy(copy, {
        get(target, key, receiver) {
            if (typeof key === "string")
                record.read.add(key);
            return Reflect.get(target, key, receiver);
        },
        has(target, key) {
            if (typeof key === "string")
                record.read.add(key);
            return Reflect.has(target, key);
        },
        ownKeys(target) {
            record.enumerated = true;
            return Reflect.ownKeys(target);
        },
    });
}

// Validates data with cls's schema; returns the error messages.
function validate(cls, data, prefix) {
    const errors = [];
    try {
        new cls(data).validate();
    } catch (e) {
        errors.push(prefix + e.message);
        return errors;
    }
    const records = [];
    cls.prototype.validate.call(recording(data, "", records));
    for (const r of records) {
        if (r.enumerated || r.read.size === 0)
            continue;
        for (const key of r.keys)
            if (!r.read.has(key))
                errors.push(prefix + "unknown field " + (r.where + "/" + key).slice(1));
    }
    return errors;
}

function checkDocument(modules, object) {
    const apiVersion = String(object.apiVersion || "");
    const kind = String(object.kind || "");
    if (apiVersion.startsWith(KSERVE_GROUP)) {
        const fields = POD_FIELDS_OF[kind];
        if (!fields)
            return [];
        const Pod = modelClass(modules, "v1", "Pod");
        const spec = {};
        for (const f of fields)
            if (object.spec && object.spec[f] !== undefined)
                spec[f] = object.spec[f];
        if (!spec.containers)
            return ["spec.containers is missing"];
        return validate(Pod, {apiVersion: "v1", kind: "Pod", metadata: {name: "x"}, spec},
                        "(as a Pod's) ");
    }
    const cls = modelClass(modules, apiVersion, kind);
    if (!cls)
        return ["no Kubernetes schema for apiVersion " + apiVersion + ", kind " + kind];
    return validate(cls, object, "");
}

function main() {
    const args = process.argv.slice(2);
    if (args.length < 2)
        usage();
    const modules = path.resolve(args[0]);
    const YAML = require(path.join(modules, "yaml"));
    const out = {documents: [], errors: []};

    for (const file of args.slice(1)) {
        const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"), {prettyErrors: true});
        docs.forEach((doc, index) => {
            const where = path.basename(file) + "#" + index;
            for (const e of doc.errors.concat(doc.warnings))
                out.errors.push(where + ": YAML: " + e.message);
            if (doc.errors.length)
                return;
            const object = doc.toJS();
            if (object === null)
                return;
            const name = where + " " + object.kind + "/" + (object.metadata || {}).name;
            out.documents.push({file, index, object});
            for (const e of checkDocument(modules, object))
                out.errors.push(name + ": " + e);
        });
    }
    process.stdout.write(JSON.stringify(out) + "\n");
    process.exit(out.errors.length ? 1 : 0);
}

main();
