export * from "./namespaceBaseline";
