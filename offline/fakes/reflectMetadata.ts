// @peculiar/x509 resolves its algorithm providers through tsyringe, which refuses to load without a
// Reflect metadata API. reflect-metadata is not a dependency, so this installs the few functions
// tsyringe calls (define/get/has, own and inherited), only when nothing else has.
type Store = Map<unknown, unknown>;
const stores = new WeakMap<object, Map<string | symbol | undefined, Store>>();

function ownStore(target: object, property: string | symbol | undefined, create: boolean): Store | undefined {
    let byProperty = stores.get(target);
    if (!byProperty) {
        if (!create) return undefined;
        byProperty = new Map();
        stores.set(target, byProperty);
    }
    let store = byProperty.get(property);
    if (!store && create) {
        store = new Map();
        byProperty.set(property, store);
    }
    return store;
}

const api = {
    defineMetadata(key: unknown, value: unknown, target: object, property?: string | symbol) {
        ownStore(target, property, true)?.set(key, value);
    },
    getOwnMetadata(key: unknown, target: object, property?: string | symbol) {
        return ownStore(target, property, false)?.get(key);
    },
    hasOwnMetadata(key: unknown, target: object, property?: string | symbol) {
        return ownStore(target, property, false)?.has(key) ?? false;
    },
    getMetadata(key: unknown, target: object, property?: string | symbol): unknown {
        for (let t: object | null = target; t; t = Object.getPrototypeOf(t)) {
            const store = ownStore(t, property, false);
            if (store?.has(key)) return store.get(key);
        }
        return undefined;
    },
    hasMetadata(key: unknown, target: object, property?: string | symbol): boolean {
        return api.getMetadata(key, target, property) !== undefined;
    },
    metadata(key: unknown, value: unknown) {
        return (target: object, property?: string | symbol) => api.defineMetadata(key, value, target, property);
    },
};

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect.getMetadata !== "function") {
    for (const [name, fn] of Object.entries(api)) reflect[name] = fn;
}
