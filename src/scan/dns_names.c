/*
 * dns_names.c — the default word list of subdomain discovery (see dns.h).
 *
 * Written for scanq from common knowledge of how hosts are named (mail,
 * vpn, api, the tools of a build farm, environments, numbered servers), not
 * taken from another project.  The list is the base words below plus two
 * rules applied at run time: the most common words numbered (www1, www01)
 * and joined with an environment (dev-api, api-dev).  dns_names_default()
 * builds it once, sorted and without repeats: about 2,000 names.
 */
#include <stdlib.h>
#include <string.h>
#include "dns.h"

/* Base words, separated by spaces. */
static const char base[] =
	"about account accounts acme activemq ad ad1 adfs admin administrator "
	"ads adserver ai airflow alertmanager alpha alumni analytics android "
	"antispam antivirus apache api api-gateway api1 api2 apigw apis app "
	"app-api application apps apt artifactory asia assets asterisk au auth "
	"autoconfig autodiscover av aws azure backup backups bamboo bastion "
	"batch beta bi billing bitbucket blog bmc booking border br broker "
	"bucket build builds ca cache cal caldav calendar campaign canary "
	"carddav career careers cart cas cassandra cd cdn cert certs chat "
	"checkout ci cisco citrix click clickhouse client client-portal "
	"clients cloud cloud1 cluster code community company compute "
	"conference confluence console consul contact contacts content control "
	"controlpanel core corp couchdb cpanel crl crm cron customer "
	"customer-portal customers cvs dashboard database dav db db1 db2 dc "
	"dc1 dc2 de demo demo1 demo2 dev dev-api dev1 dev2 devel develop "
	"development devops dns dns1 dns2 doc docker docs documentation "
	"download downloads drive drone dwh edge elastic elasticsearch elk "
	"email erp esx esxi etcd etl eu eu-central eu-west event events "
	"exchange extranet extranet2 faculty faq files files2 fileserver "
	"finance firewall forum forums fr ftp fw gateway gateway2 gcp git "
	"gitea github gitlab go gpu grafana graphql graylog grpc guest gw "
	"hadoop haproxy harbor hdfs health help helpdesk hg hiring hive host "
	"host1 host2 hotel hq hr hsm hyperv icinga identity idp idrac iis ilo "
	"image images imap img img1 img2 in influx influxdb info infra "
	"infrastructure internal internal-api intranet intune investor "
	"investors invoice invoices ios ipmi ir jaeger jenkins jira jitsi jobs "
	"jobs2 jp jump jumphost jupyter k8s kafka kb kerberos key keys kibana "
	"kms knowledgebase kube kubernetes kvm lab labs lb lb1 lb2 ldap ldaps "
	"legacy legacy-app library link links list lists live lms loadbalancer "
	"log login login2 logs logstash m m-api mail mail1 mail2 mailgw "
	"mailhost mailman manage management manager marketing master matomo "
	"mattermost mdm media meet member members memcache memcached metrics "
	"mirror mirrors ml mobile mobile-api mongo mongodb monitor monitoring "
	"moodle mq mssql mta mx mx-out mx1 mx2 mx3 my mysql nagios nas nats "
	"new new-www news newsletter next nextcloud nexus nginx node node1 "
	"node2 node3 nomad notebook ns ns1 ns2 ns3 ns4 ntp oauth ocsp office "
	"old old-www oldsite openshift ops oracle order orders origin owa "
	"owncloud packages panel partner partner-portal partners patch pay "
	"payment payments payroll pbx pg phone phones piwik pkg pki platform "
	"plesk pop pop3 portal portal2 postgres postgresql powerbi preprod "
	"press presto preview print printer private prod production prometheus "
	"proxmox proxy public-api qa qa1 qa2 queue r rabbit rabbitmq radius "
	"rancher rdp recruit redirect redis register registry relay remote "
	"repo repo1 report reporting reports repos reservations resolver rest "
	"rocket router rpc rstudio s3 safe sales saml sandbox scanner sccm "
	"scheduler search secrets secure secure2 self-service selfservice "
	"sentry server server1 server2 service servicedesk services sftp share "
	"sharepoint shop short signin signup sip slack smtp smtp-in smtp-out "
	"smtp1 smtp2 soap socks solr spam spark sphinx splunk sql squid sre "
	"srv srv1 srv2 ssh ssl sso sso2 staff stage stage1 stage2 staging "
	"staging-api static static1 static2 stats status stg storage store "
	"stream streaming sts student students supplier support svc svn swarm "
	"switch syslog tableau talent teamcity teams tel test test-api test1 "
	"test2 testing tests ticket tickets tickets2 time tomcat tooling tools "
	"touch track track2 tracking travel travis trino uat uat1 uat2 uk "
	"update updates upload uploads uptime url us us-east us-west util "
	"utils v1 v2 v3 vault vault2 vcenter vendor vendors video videos vm "
	"vm1 vm2 voip vpn vpn1 vpn2 vsphere wap warehouse web web1 web2 "
	"webadmin webdav webmail whm wifi wiki wireless wlan worker worker1 "
	"worker2 ws wss wsus www www1 www2 www3 yum zabbix zipkin zk zookeeper "
	"zoom ";

/* Words that are often numbered: www1 .. www9, www01 .. www09. */
static const char numbered[] =
	"www web mail smtp ns dns mx vpn api app db server srv host node dev test stage qa "
	"uat demo lb proxy gw fw cdn static img ftp git ci build cache redis mongo mysql "
	"pg es kafka worker backup nas sql exchange dc";

/* Words joined with an environment (dev-api, api-dev). */
static const char joined[] =
	"www web api app admin portal mail vpn db auth login sso shop cdn static assets "
	"git jenkins ci jira wiki grafana kibana monitor status docs search gateway "
	"proxy cache redis mysql files upload media mobile m payments billing crm";
static const char envs[] = "dev test stage staging qa uat prod preprod demo beta";

static char **names;
static size_t nnames;

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends a copy of the word (at most DNS_LABEL_MAX bytes) to the list. */
static int push(char ***v, size_t *n, size_t *cap, const char *w, size_t len)
{
	char **nv;

	if (len == 0 || len > DNS_LABEL_MAX)
		return 0;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		nv = realloc(*v, *cap * sizeof *nv);
		if (!nv)
			return -1;
		*v = nv;
	}
	if (!((*v)[*n] = strndup(w, len)))
		return -1;
	(*n)++;
	return 0;
}

/* Calls fn on each word of a space-separated string. */
static int each(const char *s, int (*fn)(const char *w, size_t len, void *arg), void *arg)
{
	while (*s) {
		size_t len = strcspn(s, " ");

		if (len && fn(s, len, arg) < 0)
			return -1;
		s += len;
		s += strspn(s, " ");
	}
	return 0;
}

struct build {
	char **v;
	size_t n, cap;
	const char *word;	/* the word of `joined` being combined */
	size_t wlen;
};

static int add_word(const char *w, size_t len, void *arg)
{
	struct build *b = arg;

	return push(&b->v, &b->n, &b->cap, w, len);
}

static int add_numbered(const char *w, size_t len, void *arg)
{
	struct build *b = arg;
	char buf[DNS_LABEL_MAX + 8];

	for (int i = 1; i <= 9; i++) {
		int k = snprintf(buf, sizeof buf, "%.*s%d", (int)len, w, i);

		if (push(&b->v, &b->n, &b->cap, buf, (size_t)k) < 0)
			return -1;
		k = snprintf(buf, sizeof buf, "%.*s0%d", (int)len, w, i);
		if (push(&b->v, &b->n, &b->cap, buf, (size_t)k) < 0)
			return -1;
	}
	return 0;
}

static int add_env(const char *e, size_t elen, void *arg)
{
	struct build *b = arg;
	char buf[2 * DNS_LABEL_MAX];
	int k = snprintf(buf, sizeof buf, "%.*s-%.*s", (int)elen, e, (int)b->wlen, b->word);

	if (push(&b->v, &b->n, &b->cap, buf, (size_t)k) < 0)
		return -1;
	k = snprintf(buf, sizeof buf, "%.*s-%.*s", (int)b->wlen, b->word, (int)elen, e);
	return push(&b->v, &b->n, &b->cap, buf, (size_t)k);
}

static int add_joined(const char *w, size_t len, void *arg)
{
	struct build *b = arg;

	b->word = w;
	b->wlen = len;
	return each(envs, add_env, b);
}

const char *const *dns_names_default(size_t *n)
{
	struct build b = { 0 };
	size_t k = 0;

	if (names) {
		*n = nnames;
		return (const char *const *)names;
	}
	if (each(base, add_word, &b) < 0 || each(numbered, add_numbered, &b) < 0
	    || each(joined, add_joined, &b) < 0) {
		for (size_t i = 0; i < b.n; i++)
			free(b.v[i]);
		free(b.v);
		*n = 0;
		return NULL;
	}
	qsort(b.v, b.n, sizeof *b.v, cmp);
	for (size_t i = 0; i < b.n; i++) {
		if (k > 0 && strcmp(b.v[k - 1], b.v[i]) == 0)
			free(b.v[i]);
		else
			b.v[k++] = b.v[i];
	}
	names = b.v;
	nnames = k;
	*n = nnames;
	return (const char *const *)names;
}
