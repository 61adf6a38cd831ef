// Fake provider outputs per cloud area, registered on import. Each file covers the resource types
// and invokes its area's components use; an invoke nobody registered fails the offline run.
import "./kubernetes";
import "./azure";
import "./gcp";
import "./mesh";
import "./tls";
