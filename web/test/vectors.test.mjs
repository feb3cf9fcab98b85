// Node's test runner over the shared vector checks, against the protocol's source modules.
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import * as protocol from "../protocol/index.mjs";
import { vectorChecks } from "./vector-checks.mjs";

const vectors = JSON.parse(await readFile(new URL("../../tests/vectors/protocol-v1.json", import.meta.url), "utf8"));

for (const [name, check] of Object.entries(vectorChecks(vectors, protocol))) {
  test(name, check);
}
