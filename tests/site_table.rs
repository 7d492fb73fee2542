//! The phishing guard against a table of URLs, written from how browsers
//! parse hosts (the WHATWG URL standard: case, trailing dots, percent
//! escapes, IDNA mapping, backslashes, tabs, user information, IP forms)
//! and from the Public Suffix List's PRIVATE section, where anyone can
//! host a page under a company's domain. Each row: the entry's sites, the
//! URL, and whether the code is given.

use otpvault::site::{self, Refusal};

/// The code is given.
const GIVE: bool = true;
/// The code is withheld.
const NO: bool = false;

const AMAZON: &[&str] = &["amazon.co.jp"];
const GITHUB: &[&str] = &["github.com"];
const LINODE: &[&str] = &["linode.com"];
const AWS: &[&str] = &["amazonaws.com"];
const AZURE: &[&str] = &["windows.net"];
const FEDORA: &[&str] = &["fedoraproject.org"];
const PAGES: &[&str] = &["alice.github.io"];
const IDN: &[&str] = &["xn--r8jz45g.jp"];

const TABLE: &[(&[&str], &str, bool)] = &[
    // The site and names under it, however a browser may write them.
    (AMAZON, "https://www.amazon.co.jp/ap/mfa", GIVE),
    (AMAZON, "https://amazon.co.jp/", GIVE),
    (AMAZON, "HTTPS://WWW.AMAZON.CO.JP/", GIVE),
    (AMAZON, "https://www.amazon.co.jp./", GIVE),
    (AMAZON, "https://www.amazon.co.jp:443/x", GIVE),
    (AMAZON, "https://www.amazon.co.jp:8443/x", GIVE),
    (AMAZON, "https://www.amazon.co.jp/p?q=1#f", GIVE),
    (AMAZON, "https://ａｍａｚｏｎ．ｃｏ．ｊｐ/", GIVE),
    (AMAZON, "https://www%2Eamazon.co.jp/", GIVE),
    (AMAZON, "https://www.amazon.co.jp\\ap\\mfa", GIVE),
    (AMAZON, "  https://www.amazon.co.jp/  ", GIVE),
    (AMAZON, "https://www.ama\tzon.co.jp/", GIVE),
    (AMAZON, "https://www.amazon.co.jp\n/", GIVE),
    (AMAZON, "https:www.amazon.co.jp/", GIVE),
    (AMAZON, "https:/www.amazon.co.jp/", GIVE),
    (AMAZON, "https:\\\\www.amazon.co.jp/", GIVE),
    (AMAZON, "https://www.amazon.co.jp#@evil.example", GIVE),
    (AMAZON, "https://www.amazon.co.jp?@evil.example", GIVE),
    (AMAZON, "https://amazon.co.jp。/", GIVE),
    (AMAZON, "https://www.amazon.co.jp:0/", GIVE),
    (AMAZON, "https://a.b.c.www.amazon.co.jp/", GIVE),
    // Look-alikes and other sites.
    (AMAZON, "https://amazon.co.jp.evil.example/", NO),
    (AMAZON, "https://amazon.co.jp.evil.example./", NO),
    (AMAZON, "https://www.amaz0n.co.jp/", NO),
    (AMAZON, "https://amazon-co-jp.com/", NO),
    (AMAZON, "https://xn--mazon-3ve.co.jp/", NO),
    (AMAZON, "https://аmazon.co.jp/", NO),
    (AMAZON, "https://wwwamazon.co.jp/", NO),
    (AMAZON, "https://amazon.co.jp.co.jp/", NO),
    (AMAZON, "https://co.jp/", NO),
    (AMAZON, "https://jp/", NO),
    (AMAZON, "https://evil.example/amazon.co.jp", NO),
    (
        AMAZON,
        "https://evil.example/?u=https://www.amazon.co.jp/",
        NO,
    ),
    (AMAZON, "https://evil.example#@www.amazon.co.jp", NO),
    (AMAZON, "https://evil.example?.amazon.co.jp", NO),
    (AMAZON, "https://amazon.co.jp%2Eevil.example/", NO),
    (AMAZON, "https://www.amazon.co.jp。evil.example/", NO),
    (AMAZON, "https://www.amazon.co.jp．evil.example/", NO),
    (AMAZON, "https://www.amazon.co.jp\u{FF61}evil.example/", NO),
    (AMAZON, "https://amazon.co.jp.s3.amazonaws.com/", NO),
    // User information hides the real host; or is no host of the site.
    (AMAZON, "https://www.amazon.co.jp@evil.example/", NO),
    (AMAZON, "https://www.amazon.co.jp:443@evil.example/", NO),
    (AMAZON, "https://user:pw@www.amazon.co.jp/", NO),
    (AMAZON, "https://user@www.amazon.co.jp/", NO),
    (AMAZON, "https://www.amazon.co.jp%40evil.example/", NO),
    // Not HTTPS, or not the web.
    (AMAZON, "http://www.amazon.co.jp/", NO),
    (AMAZON, "ftp://www.amazon.co.jp/", NO),
    (AMAZON, "ws://www.amazon.co.jp/", NO),
    (AMAZON, "wss://www.amazon.co.jp/", NO),
    (AMAZON, "javascript:alert('amazon.co.jp')", NO),
    (AMAZON, "data:text/html,amazon.co.jp", NO),
    (AMAZON, "file:///amazon.co.jp", NO),
    (AMAZON, "blob:https://www.amazon.co.jp/x", NO),
    (AMAZON, "//www.amazon.co.jp/", NO),
    (AMAZON, "www.amazon.co.jp", NO),
    // Hosts no name server answers for, and ports that are none.
    (AMAZON, "https://www.amazon.co.jp../", NO),
    (AMAZON, "https://.amazon.co.jp/", NO),
    (AMAZON, "https://www..amazon.co.jp/", NO),
    (AMAZON, "https://www.amazon.co.jp:99999/", NO),
    (AMAZON, "https://www.amazon.co.jp:evil.example/", NO),
    (AMAZON, "https://www.amazon.co.jp%00.evil.example/", NO),
    (AMAZON, "https://www.amazon.co.jp%20.evil.example/", NO),
    (AMAZON, "https://[www.amazon.co.jp]/", NO),
    // IP addresses, in every form a browser reads.
    (AMAZON, "https://192.168.1.1/", NO),
    (AMAZON, "https://[::1]/", NO),
    (AMAZON, "https://0x7f.1/", NO),
    (AMAZON, "https://2130706433/", NO),
    (AMAZON, "https://0177.0.0.1/", NO),
    // GitHub, and its pages, where every user has a site.
    (GITHUB, "https://github.com/sessions/two-factor", GIVE),
    (GITHUB, "https://gist.github.com/", GIVE),
    (GITHUB, "https://github.io/", NO),
    (GITHUB, "https://evil.github.io/", NO),
    (GITHUB, "https://github.com.evil.example/", NO),
    (PAGES, "https://alice.github.io/", GIVE),
    (PAGES, "https://blog.alice.github.io/", GIVE),
    (PAGES, "https://bob.github.io/", NO),
    (PAGES, "https://github.io/", NO),
    // Private suffixes between the host and the site.
    (LINODE, "https://linode.com/", GIVE),
    (LINODE, "https://cloud.linode.com/", GIVE),
    (LINODE, "https://login.linode.com/", GIVE),
    (LINODE, "https://phish.members.linode.com/", NO),
    (LINODE, "https://members.linode.com/", NO),
    (LINODE, "https://phish.nodebalancer.linode.com/", NO),
    (AWS, "https://amazonaws.com/", GIVE),
    (AWS, "https://phish.s3.amazonaws.com/", NO),
    (AWS, "https://s3.amazonaws.com/", NO),
    (
        AWS,
        "https://abc123.execute-api.us-east-1.amazonaws.com/",
        NO,
    ),
    (AWS, "https://ec2-1-2-3-4.compute-1.amazonaws.com/", NO),
    (AWS, "https://www.amazon.co.jp.s3.amazonaws.com/", NO),
    (AZURE, "https://login.windows.net/", GIVE),
    (AZURE, "https://phish.blob.core.windows.net/", NO),
    (AZURE, "https://blob.core.windows.net/", NO),
    (AZURE, "https://phish.z13.web.core.windows.net/", NO),
    (FEDORA, "https://accounts.fedoraproject.org/", GIVE),
    (FEDORA, "https://phish.app.os.fedoraproject.org/", NO),
    (FEDORA, "https://app.os.fedoraproject.org/", NO),
    // An internationalised site, as typed and as punycode.
    (IDN, "https://例え.jp/", GIVE),
    (IDN, "https://xn--r8jz45g.jp/", GIVE),
    (IDN, "https://www.例え.jp/", GIVE),
    (IDN, "https://例え.jp.evil.example/", NO),
];

#[test]
fn the_table_is_decided_as_browsers_parse_hosts() {
    let mut wrong = Vec::new();
    for (sites, url, give) in TABLE {
        let sites: Vec<String> = sites.iter().map(|s| s.to_string()).collect();
        let decided = site::check(url, &sites, false);
        if decided.is_ok() != *give {
            wrong.push(format!("{url:?} for {sites:?}: {decided:?}"));
        }
    }
    assert!(TABLE.len() >= 80, "{} rows", TABLE.len());
    assert!(
        wrong.is_empty(),
        "{} of {} wrong:\n{}",
        wrong.len(),
        TABLE.len(),
        wrong.join("\n")
    );
    println!(
        "{} URLs, all decided as a browser would read them",
        TABLE.len()
    );
}

#[test]
fn a_private_suffix_is_named_in_the_refusal() {
    let sites = vec!["linode.com".to_string()];
    assert_eq!(
        site::check("https://phish.members.linode.com/", &sites, false),
        Err(Refusal::PublicSuffix {
            host: "phish.members.linode.com".into(),
            suffix: "members.linode.com".into()
        })
    );
}
