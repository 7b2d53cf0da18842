//! CycloneDX 1.6 JSON (`-f cyclonedx`): the image's OS packages as an SBOM, for grype, trivy and
//! dependency-track. One `library` component per package with its purl written as the purl
//! spec's deb/apk/rpm types and syft write it (qualifiers in key order, `+` and `@` percent-encoded:
//! `pkg:deb/debian/bash@5.2.15-2%2Bb8?arch=amd64&distro=debian-12&upstream=bash%405.2.15-2`), the
//! OS as an `operating-system` component, and the image as the metadata component. No timestamp
//! or serial number: the same image gives the same bytes.

use serde_json::{Value, json};

use super::Report;
use crate::model::packages::{Package, PackageManager};
use crate::report::base_image::OsSummary;

/// The CycloneDX specification version written.
pub const SPEC_VERSION: &str = "1.6";

pub fn render(report: &Report) -> String {
    let mut components: Vec<Value> = Vec::new();
    let mut metadata = json!({
        "tools": {"components": [{
            "type": "application",
            "name": "harden",
            "version": env!("CARGO_PKG_VERSION"),
        }]},
    });
    if let Some(image) = &report.inputs.image {
        let os = image.os.as_ref();
        let mut properties = vec![
            property("harden:image:source", &image.source),
            property("harden:image:config_digest", &image.config_digest),
            property("harden:image:platform", &image.platform),
        ];
        if let Some(reference) = &image.reference {
            properties.push(property("harden:image:reference", reference));
        }
        if let Some(digest) = &image.manifest_digest {
            properties.push(property("harden:image:manifest_digest", digest));
        }
        // The image is named by its reference when it has one, and versioned by the digest a
        // task definition would pin (the manifest's; a docker-archive has only the config's).
        let mut component = json!({
            "bom-ref": "image",
            "type": "container",
            "name": image.reference.as_deref().unwrap_or(&image.source),
            "version": image.manifest_digest.as_deref().unwrap_or(&image.config_digest),
            "properties": properties,
        });
        if let Some(hash) = image
            .manifest_digest
            .as_deref()
            .and_then(|d| d.strip_prefix("sha256:"))
        {
            component["hashes"] = json!([{"alg": "SHA-256", "content": hash}]);
        }
        metadata["component"] = component;
        let mut seen = std::collections::BTreeSet::new();
        for package in &image.packages {
            let purl = purl(package, os);
            // bom-refs must be unique; two databases listing the same package are one component.
            if !seen.insert(purl.clone()) {
                continue;
            }
            let mut properties = vec![
                property("harden:package:manager", package.manager.as_str()),
                property("harden:package:database", &package.database),
                property("harden:package:layer", &package.layer.to_string()),
            ];
            if let Some(source) = &package.source_name {
                properties.push(property("harden:package:source_name", source));
            }
            if let Some(version) = &package.source_version {
                properties.push(property("harden:package:source_version", version));
            }
            components.push(json!({
                "bom-ref": purl,
                "type": "library",
                "name": package.name,
                "version": package.version,
                "purl": purl,
                "properties": properties,
            }));
        }
        if let Some(os) = os {
            let version = os.version_id.clone().unwrap_or_default();
            let mut component = json!({
                "bom-ref": format!("os:{}@{version}", os.id),
                "type": "operating-system",
                "name": os.id,
                "version": version,
                "properties": [
                    property("harden:os:source", &os.source),
                    property("harden:os:distroless", if os.distroless { "true" } else { "false" }),
                    property("harden:os:end_of_life_table", os.end_of_life.table_as_of),
                ],
            });
            if let Some(pretty) = &os.pretty_name {
                component["description"] = json!(pretty);
            }
            if let Some(date) = &os.end_of_life.date {
                component["properties"]
                    .as_array_mut()
                    .expect("built as an array above")
                    .push(property("harden:os:end_of_life", date));
            }
            components.push(component);
        }
    }
    let document = json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "version": 1,
        "metadata": metadata,
        "components": components,
    });
    serde_json::to_string_pretty(&document).expect("a JSON value serializes") + "\n"
}

fn property(name: &str, value: &str) -> Value {
    json!({"name": name, "value": value})
}

/// The package URL of an OS package, as the purl spec's `deb`/`apk`/`rpm` types and syft write it:
/// namespace the os-release ID (for rpm, syft's vendor names: `rhel` is `redhat`, `opensuse-*` is
/// `opensuse`; no OS, no namespace), qualifiers in key order: `arch`, `distro`
/// (`ID-VERSION_ID`), rpm's `epoch` (the version is then `version-release` without it), and
/// `upstream` (dpkg's source package with `@version` when dpkg writes one; apk's origin when it
/// differs from the name; rpm's source rpm file name).
pub fn purl(package: &Package, os: Option<&OsSummary>) -> String {
    let (kind, default_namespace) = match package.manager {
        PackageManager::Dpkg => ("deb", "debian"),
        PackageManager::Apk => ("apk", "alpine"),
        PackageManager::Rpm => ("rpm", ""),
    };
    let namespace = match (package.manager, os.map(|o| o.id.as_str())) {
        (PackageManager::Rpm, Some("rhel" | "hummingbird")) => "redhat",
        (PackageManager::Rpm, Some(id)) if id.starts_with("opensuse") => "opensuse",
        (_, Some(id)) => id,
        (_, None) => default_namespace,
    };
    // rpm: `2:1.2.3-4.el9` is version `1.2.3-4.el9` with qualifier `epoch=2`.
    let (epoch, version) = match package.manager {
        PackageManager::Rpm => match package.version.split_once(':') {
            Some((epoch, rest))
                if !epoch.is_empty() && epoch.bytes().all(|b| b.is_ascii_digit()) =>
            {
                (Some(epoch), rest)
            }
            _ => (None, package.version.as_str()),
        },
        _ => (None, package.version.as_str()),
    };
    let mut text = format!("pkg:{kind}/");
    if !namespace.is_empty() {
        text.push_str(&encode(namespace));
        text.push('/');
    }
    text.push_str(&format!("{}@{}", encode(&package.name), encode(version)));
    let mut qualifiers: Vec<(&str, String)> = Vec::new();
    if let Some(arch) = &package.architecture {
        qualifiers.push(("arch", arch.clone()));
    }
    if let (Some(os), Some(version)) = (os, os.and_then(|o| o.version_id.as_deref())) {
        qualifiers.push(("distro", format!("{}-{version}", os.id)));
    }
    if let Some(epoch) = epoch {
        qualifiers.push(("epoch", epoch.to_string()));
    }
    let upstream = match (package.manager, &package.source_name) {
        (PackageManager::Apk, Some(origin)) if *origin == package.name => None,
        (PackageManager::Rpm, Some(source)) => Some(match &package.source_version {
            Some(version) => format!("{source}-{version}.src.rpm"),
            None => source.clone(),
        }),
        (_, Some(source)) => Some(match &package.source_version {
            Some(version) => format!("{source}@{version}"),
            None => source.clone(),
        }),
        (_, None) => None,
    };
    if let Some(upstream) = upstream {
        qualifiers.push(("upstream", upstream));
    }
    for (index, (key, value)) in qualifiers.iter().enumerate() {
        text.push(if index == 0 { '?' } else { '&' });
        text.push_str(key);
        text.push('=');
        text.push_str(&encode(value));
    }
    text
}

/// Percent-encodes everything but ASCII letters, digits and `-._~:` (purl spec, "Character
/// encoding"; `:` is left as is, as syft and packageurl-go leave an epoch).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b':') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(manager: PackageManager, name: &str, version: &str) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            architecture: Some("amd64".into()),
            source_name: None,
            source_version: None,
            manager,
            database: "/var/lib/dpkg/status".into(),
            layer: 0,
        }
    }

    fn debian_12() -> OsSummary {
        OsSummary {
            id: "debian".into(),
            version_id: Some("12".into()),
            ..OsSummary::default()
        }
    }

    #[test]
    fn the_issues_example_purl() {
        let curl = package(PackageManager::Dpkg, "curl", "7.88.1-10+deb12u5");
        assert_eq!(
            purl(&curl, Some(&debian_12())),
            "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12"
        );
        let mut gpp = package(PackageManager::Dpkg, "g++", "4:12.2.0-3");
        gpp.source_name = Some("gcc-defaults".into());
        gpp.source_version = Some("1.203".into());
        assert_eq!(
            purl(&gpp, Some(&debian_12())),
            "pkg:deb/debian/g%2B%2B@4:12.2.0-3?arch=amd64&distro=debian-12&upstream=gcc-defaults%401.203"
        );
    }

    #[test]
    fn rpm_purls_name_the_vendor_and_carry_the_epoch_as_a_qualifier() {
        let rhel = OsSummary {
            id: "rhel".into(),
            version_id: Some("9.4".into()),
            ..OsSummary::default()
        };
        let mut bash = package(PackageManager::Rpm, "bash", "5.1.8-6.el9");
        bash.architecture = Some("x86_64".into());
        bash.source_name = Some("bash".into());
        bash.source_version = Some("5.1.8-6.el9".into());
        // The brief's example, as syft writes it.
        assert_eq!(
            purl(&bash, Some(&rhel)),
            "pkg:rpm/redhat/bash@5.1.8-6.el9?arch=x86_64&distro=rhel-9.4&upstream=bash-5.1.8-6.el9.src.rpm"
        );
        let mut shadow = package(PackageManager::Rpm, "shadow-utils", "2:4.9-8.el9");
        shadow.architecture = Some("x86_64".into());
        assert_eq!(
            purl(&shadow, Some(&rhel)),
            "pkg:rpm/redhat/shadow-utils@4.9-8.el9?arch=x86_64&distro=rhel-9.4&epoch=2"
        );
        assert_eq!(
            purl(&shadow, None),
            "pkg:rpm/shadow-utils@4.9-8.el9?arch=x86_64&epoch=2"
        );
    }
}
