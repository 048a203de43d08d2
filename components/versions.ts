// Pinned versions of what the machines download. Bump them here, deliberately.

/** etcd for Flatcar's etcd-member.service; 3.5 is the last line that serves fleet's v2 API. */
export const ETCD_VERSION = "v3.5.17";

/** The last fleet release; its tarball's SHA-256 is the fleetSha256 setting. */
export const FLEET_VERSION = "v1.0.0";

/** The distribution registry. */
export const REGISTRY_IMAGE = "registry:2.8.3";

/** nginx for the staging web servers. */
export const NGINX_IMAGE = "nginx:1.27.3";

/** The base of the website1 image prod runs: the same nginx, so prod serves what staging showed. */
export const WEBSITE1_BASE_IMAGE = NGINX_IMAGE;

/** Flatcar's GCE images. */
export const FLATCAR_IMAGE_PROJECT = "kinvolk-public";
