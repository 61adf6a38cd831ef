// The TypeScript entry of the component package, for the Pulumi component-provider host
// (`pulumi package add`, `pulumi package gen-sdk`): the host runs package.json "main" (the compiled
// dist/components/index.js, so `npm run build` first) and its schema analyzer, which reads TypeScript,
// falls back to this file because the package's entry points name compiled files.
export * from "./components";
