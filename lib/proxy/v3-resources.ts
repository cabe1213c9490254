// The envelope every v3 answer shares, as Confluent's OpenAPI document defines it (Resource,
// ResourceCollection, Relationship): a `kind`, `metadata.self` (the resource's URL),
// `metadata.resource_name` (its CRN), `related` links, and lists with their items in `data`.

export interface Relationship {
  related: string;
}

export interface Resource {
  kind: string;
  metadata: { self: string; resource_name: string };
}

export interface ResourceList<T extends Resource> {
  kind: string;
  metadata: { self: string; next: null };
  data: T[];
}

/** The URLs and CRNs of one cluster's resources, for a proxy reached at `base`. */
export class V3Paths {
  constructor(
    /** The advertised URL of the proxy, e.g. http://127.0.0.1:8082 */
    readonly base: string,
    readonly clusterId: string,
  ) {}

  /** `${base}/v3/clusters/${id}/...segments`, each segment escaped (config names come from users). */
  url(...segments: Array<string | number>): string {
    return [`${this.base}/v3/clusters/${encodeURIComponent(this.clusterId)}`, ...segments.map((s) => encodeURIComponent(String(s)))].join('/');
  }

  /** crn:///kafka=<cluster>/topic=<name>/partition=<n>... from [type, name] pairs. */
  crn(...pairs: Array<[string, string | number]>): string {
    return [`crn:///kafka=${this.clusterId}`, ...pairs.map(([type, name]) => `${type}=${name}`)].join('/');
  }

  related(...segments: Array<string | number>): Relationship {
    return { related: this.url(...segments) };
  }

  /** The kind and metadata of a resource at the URL of `segments`. */
  resource(kind: string, segments: Array<string | number>, crn: Array<[string, string | number]>): Resource {
    return { kind, metadata: { self: this.url(...segments), resource_name: this.crn(...crn) } };
  }
}

/** A list body: its kind, its own URL (one page: `next` is null) and the items. */
export function resourceList<T extends Resource>(kind: string, self: string, data: T[]): ResourceList<T> {
  return { kind, metadata: { self, next: null }, data };
}
