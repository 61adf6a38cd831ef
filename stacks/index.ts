// Entry point of the Pulumi program (`main: stacks/` in Pulumi.yaml): one environment per stack.
import { environmentProgram } from "./program";

export = environmentProgram();
