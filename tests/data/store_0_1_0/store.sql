-- A store written by hisbridge 0.1.0 (git 08ad2e1) through its own APIs: queued,
-- in-flight, retrying, dead and quarantined records, warnings with webhook
-- deliveries, consents. Synthetic data. Made by build.py (sqlite3 iterdump).
BEGIN TRANSACTION;
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO "alembic_version" VALUES('sources_0003_h15b');
INSERT INTO "alembic_version" VALUES('outbox_0003_h15b');
INSERT INTO "alembic_version" VALUES('messages_0002_h17a');
INSERT INTO "alembic_version" VALUES('console_0002_h14b');
INSERT INTO "alembic_version" VALUES('consent_0002_htime');
INSERT INTO "alembic_version" VALUES('audit_0001');
CREATE TABLE alert_events (
	id INTEGER NOT NULL, 
	rule VARCHAR(64) NOT NULL, 
	subject VARCHAR(200) NOT NULL, 
	severity VARCHAR(16) NOT NULL, 
	message TEXT NOT NULL, 
	message_en TEXT NOT NULL, 
	first_at DATETIME NOT NULL, 
	last_at DATETIME NOT NULL, 
	last_sent_at DATETIME, 
	seen INTEGER NOT NULL, 
	resolved_at DATETIME, 
	CONSTRAINT pk_alert_events PRIMARY KEY (id), 
	CONSTRAINT ck_alert_events_severity CHECK (severity IN ('warning', 'critical'))
);
CREATE TABLE attempts (
	id INTEGER NOT NULL, 
	outbox_id INTEGER NOT NULL, 
	attempt_no INTEGER NOT NULL, 
	started_at DATETIME NOT NULL, 
	duration_ms FLOAT NOT NULL, 
	target VARCHAR(200) NOT NULL, 
	verdict VARCHAR(16) NOT NULL, 
	status_code INTEGER, 
	error_code VARCHAR(16), 
	reply TEXT, 
	error TEXT, 
	worker VARCHAR(100) NOT NULL, 
	CONSTRAINT pk_attempts PRIMARY KEY (id), 
	CONSTRAINT fk_attempts_outbox_id_outbox FOREIGN KEY(outbox_id) REFERENCES outbox (id)
);
INSERT INTO "attempts" VALUES(1,1,1,'2026-11-30 02:00:00.000000',0.0,'frontend','delivered',200,NULL,NULL,NULL,'old-worker');
INSERT INTO "attempts" VALUES(2,2,1,'2026-11-30 02:00:00.000000',0.0,'frontend','delivered',200,NULL,NULL,NULL,'old-worker');
INSERT INTO "attempts" VALUES(3,3,1,'2026-11-30 02:00:00.000000',0.0,'frontend','transient',200,'01','{}','errorCode 01','old-worker');
INSERT INTO "attempts" VALUES(4,3,2,'2026-11-30 02:02:00.000000',0.0,'frontend','delivered',200,NULL,NULL,NULL,'worker-2');
INSERT INTO "attempts" VALUES(5,6,1,'2026-11-30 02:02:00.000000',0.0,'frontend','transient',200,'01','{}','errorCode 01','worker-2');
INSERT INTO "attempts" VALUES(6,7,1,'2026-11-30 02:02:00.000000',0.0,'frontend','terminal',200,'04','{"result": false, "errorCode": "04"}','errorCode 04 数据校验错误','worker-2');
CREATE TABLE audit_log (
	seq BIGINT NOT NULL, 
	id VARCHAR(26) NOT NULL, 
	occurred_at VARCHAR(32) NOT NULL, 
	action VARCHAR(40) NOT NULL, 
	actor_id VARCHAR(64) NOT NULL, 
	actor_name VARCHAR(64) NOT NULL, 
	role VARCHAR(32) NOT NULL, 
	dept_code VARCHAR(64) NOT NULL, 
	patient_masked VARCHAR(80) NOT NULL, 
	patient_key VARCHAR(64) NOT NULL, 
	consent_id VARCHAR(26) NOT NULL, 
	auth_id VARCHAR(64) NOT NULL, 
	category VARCHAR(32) NOT NULL, 
	doc_id VARCHAR(128) NOT NULL, 
	client_addr VARCHAR(64) NOT NULL, 
	outcome VARCHAR(32) NOT NULL, 
	detail TEXT NOT NULL, 
	prev_hash VARCHAR(64) NOT NULL, 
	hash VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_audit_log PRIMARY KEY (seq), 
	CONSTRAINT uq_audit_log_id UNIQUE (id)
);
CREATE TABLE console_actions (
	id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	user_name VARCHAR(64) NOT NULL, 
	role VARCHAR(16) NOT NULL, 
	action VARCHAR(64) NOT NULL, 
	target TEXT NOT NULL, 
	outcome TEXT NOT NULL, 
	remote VARCHAR(64), 
	CONSTRAINT pk_console_actions PRIMARY KEY (id)
);
CREATE TABLE console_login_attempts (
	id INTEGER NOT NULL, 
	user_name VARCHAR(64) NOT NULL, 
	at DATETIME NOT NULL, 
	ok BOOLEAN NOT NULL, 
	remote VARCHAR(64), outcome VARCHAR(8), 
	CONSTRAINT pk_console_login_attempts PRIMARY KEY (id)
);
CREATE TABLE console_sessions (
	token_hash VARCHAR(64) NOT NULL, 
	user_name VARCHAR(64) NOT NULL, 
	csrf_token VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	last_seen_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	remote VARCHAR(64), 
	CONSTRAINT pk_console_sessions PRIMARY KEY (token_hash)
);
CREATE TABLE console_users (
	name VARCHAR(64) NOT NULL, 
	role VARCHAR(16) NOT NULL, 
	password_hash VARCHAR(200) NOT NULL, 
	created_at DATETIME NOT NULL, 
	password_changed_at DATETIME NOT NULL, 
	disabled BOOLEAN NOT NULL, 
	CONSTRAINT pk_console_users PRIMARY KEY (name), 
	CONSTRAINT ck_console_users_role CHECK (role IN ('admin', 'operator', 'auditor'))
);
CREATE TABLE frontend_secret_keys (
	purpose VARCHAR(32) NOT NULL, 
	sealed TEXT NOT NULL, 
	obtained_at FLOAT NOT NULL, 
	expires_at FLOAT NOT NULL, 
	CONSTRAINT pk_frontend_secret_keys PRIMARY KEY (purpose)
);
CREATE TABLE gd_callback (
	"key" VARCHAR(64) NOT NULL, 
	auth_id VARCHAR(64) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	occurred_at VARCHAR(40) NOT NULL, 
	deliveries INTEGER DEFAULT 1 NOT NULL, 
	first_at DATETIME NOT NULL, 
	last_at DATETIME NOT NULL, 
	CONSTRAINT pk_gd_callback PRIMARY KEY ("key")
);
CREATE TABLE gd_consent (
	id VARCHAR(26) NOT NULL, 
	auth_id VARCHAR(64), 
	his_patient_id VARCHAR(64) NOT NULL, 
	patient_masked VARCHAR(80) NOT NULL, 
	encounter_type VARCHAR(16) NOT NULL, 
	encounter_id VARCHAR(64) NOT NULL, 
	channel VARCHAR(16) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	open_key VARCHAR(200), 
	operator_id VARCHAR(64) DEFAULT '' NOT NULL, 
	dept_code VARCHAR(64) DEFAULT '' NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	request_expires_at DATETIME, 
	granted_at DATETIME, 
	valid_from DATETIME, 
	valid_to DATETIME, 
	ended_at DATETIME, 
	reason VARCHAR(64), 
	sms_attempts INTEGER DEFAULT 0 NOT NULL, 
	channel_info TEXT DEFAULT '{}' NOT NULL, 
	CONSTRAINT pk_gd_consent PRIMARY KEY (id), 
	CONSTRAINT ck_gd_consent_ck_gd_consent_status CHECK (status IN ('PENDING','GRANTED','DENIED','EXPIRED','REVOKED','CANCELLED','CLOSED')), 
	CONSTRAINT uq_gd_consent_open_key UNIQUE (open_key)
);
INSERT INTO "gd_consent" VALUES('C-GRANTED','AUTH-1','P01','张*','INPATIENT','ZY01','APP','GRANTED','440100001|P01|INPATIENT|ZY01','','','2026-11-30 02:02:00.000000','2026-11-30 02:02:00.000000',NULL,'2026-11-30 02:02:00.000000','2026-11-30 02:02:00.000000','2027-11-30 02:02:00.000000',NULL,NULL,0,'{}');
INSERT INTO "gd_consent" VALUES('C-PENDING',NULL,'P02','李*','OUTPATIENT','MZ02','SMS','PENDING','440100001|P02|OUTPATIENT|MZ02','','','2026-11-30 02:02:00.000000','2026-11-30 02:02:00.000000','2026-12-01 02:02:00.000000',NULL,NULL,NULL,NULL,NULL,0,'{}');
CREATE TABLE gd_encounter (
	encounter_type VARCHAR(16) NOT NULL, 
	encounter_id VARCHAR(64) NOT NULL, 
	his_patient_id VARCHAR(64) NOT NULL, 
	id_type VARCHAR(4) DEFAULT '01' NOT NULL, 
	id_no_enc VARCHAR(128) NOT NULL, 
	name_enc VARCHAR(128) NOT NULL, 
	ehc_code VARCHAR(128), 
	dept_code VARCHAR(64) DEFAULT '' NOT NULL, 
	visit_date DATE, 
	appointment_id VARCHAR(64), 
	slot_start DATETIME, 
	admitted_at DATETIME, 
	discharged_at DATETIME, 
	state VARCHAR(16) DEFAULT 'OPEN' NOT NULL, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_gd_encounter PRIMARY KEY (encounter_type, encounter_id), 
	CONSTRAINT ck_gd_encounter_ck_gd_encounter_state CHECK (state IN ('OPEN','CLOSED','CANCELLED'))
);
CREATE TABLE message_poll_state (
	name VARCHAR(64) NOT NULL, 
	cursor VARCHAR(200), 
	last_seq BIGINT NOT NULL, 
	last_ok_at DATETIME, 
	last_attempt_at DATETIME, 
	failures INTEGER NOT NULL, 
	last_error TEXT, 
	CONSTRAINT pk_message_poll_state PRIMARY KEY (name)
);
INSERT INTO "message_poll_state" VALUES('frontend-messages','c3',3,'2026-11-30 02:02:00.000000','2026-11-30 02:02:00.000000',0,NULL);
CREATE TABLE message_poller_lease (
	name VARCHAR(64) NOT NULL, 
	holder VARCHAR(100) NOT NULL, 
	expires_at FLOAT NOT NULL, 
	CONSTRAINT pk_message_poller_lease PRIMARY KEY (name)
);
INSERT INTO "message_poller_lease" VALUES('frontend-messages','node-1',1796004150.0);
CREATE TABLE message_receipts (
	msg_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64) NOT NULL, 
	read_at DATETIME, 
	read_by VARCHAR(64), 
	handled_at DATETIME, 
	handled_by VARCHAR(64), 
	CONSTRAINT pk_message_receipts PRIMARY KEY (msg_id, user_id), 
	CONSTRAINT fk_message_receipts_msg_id_messages FOREIGN KEY(msg_id) REFERENCES messages (msg_id)
);
INSERT INTO "message_receipts" VALUES('M000001','D001','2026-11-30 02:02:00.000000','D001',NULL,NULL);
CREATE TABLE message_webhook_deliveries (
	id INTEGER NOT NULL, 
	msg_id VARCHAR(64) NOT NULL, 
	state VARCHAR(16) NOT NULL, 
	attempts INTEGER NOT NULL, 
	next_attempt_at FLOAT NOT NULL, 
	claimed_until FLOAT, 
	last_status INTEGER, 
	last_error TEXT, 
	delivered_at DATETIME, 
	CONSTRAINT pk_message_webhook_deliveries PRIMARY KEY (id), 
	CONSTRAINT ck_message_webhook_deliveries_state CHECK (state IN ('pending', 'sending', 'delivered', 'retry_wait', 'dead')), 
	CONSTRAINT fk_message_webhook_deliveries_msg_id_messages FOREIGN KEY(msg_id) REFERENCES messages (msg_id)
);
INSERT INTO "message_webhook_deliveries" VALUES(1,'M000001','retry_wait',1,1796004122.0,NULL,500,'HTTP 500',NULL);
INSERT INTO "message_webhook_deliveries" VALUES(2,'M000002','pending',0,1796004120.0,NULL,NULL,NULL,NULL);
INSERT INTO "message_webhook_deliveries" VALUES(3,'M000003','pending',0,1796004120.0,NULL,NULL,NULL,NULL);
CREATE TABLE messages (
	msg_id VARCHAR(64) NOT NULL, 
	seq BIGINT NOT NULL, 
	type VARCHAR(64) NOT NULL, 
	level VARCHAR(32) NOT NULL, 
	title VARCHAR(500) NOT NULL, 
	content TEXT NOT NULL, 
	patient_id VARCHAR(64), 
	serial_number VARCHAR(64), 
	org_code VARCHAR(64), 
	dept_code VARCHAR(64), 
	user_id VARCHAR(64), 
	create_time VARCHAR(32), 
	polled_at DATETIME NOT NULL, 
	raw TEXT NOT NULL, 
	CONSTRAINT pk_messages PRIMARY KEY (msg_id)
);
INSERT INTO "messages" VALUES('M000001',1,'传染病漏报提醒','高','疑似漏报：肺结核','患者诊断肺结核，尚未填报传染病报告卡','P01',NULL,'440100001','A03','D001','2026-11-30 09:5{n}:00','2026-11-30 02:02:00.000000','{"msgId":"M000001"}');
INSERT INTO "messages" VALUES('M000002',2,'传染病漏报提醒','高','疑似漏报：肺结核','患者诊断肺结核，尚未填报传染病报告卡','P01',NULL,'440100001','A03','D001','2026-11-30 09:5{n}:00','2026-11-30 02:02:00.000000','{"msgId":"M000002"}');
INSERT INTO "messages" VALUES('M000003',3,'传染病漏报提醒','高','疑似漏报：肺结核','患者诊断肺结核，尚未填报传染病报告卡','P01',NULL,'440100001','A03','D001','2026-11-30 09:5{n}:00','2026-11-30 02:02:00.000000','{"msgId":"M000003"}');
CREATE TABLE outbox (
	id INTEGER NOT NULL, 
	table_name VARCHAR(64) NOT NULL, 
	record_id VARCHAR(128) NOT NULL, 
	version INTEGER NOT NULL, 
	op VARCHAR(8) NOT NULL, 
	parent_table VARCHAR(64), 
	parent_id VARCHAR(128), 
	state VARCHAR(16) NOT NULL, 
	attempts INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	next_attempt_at DATETIME NOT NULL, 
	claimed_by VARCHAR(100), 
	lease_expires_at DATETIME, 
	finished_at DATETIME, 
	last_error TEXT, 
	error_code VARCHAR(16), 
	last_reply TEXT, 
	note VARCHAR(200), 
	replay_of INTEGER, 
	replay_id INTEGER, 
	replayed BOOLEAN NOT NULL, 
	CONSTRAINT pk_outbox PRIMARY KEY (id), 
	CONSTRAINT ck_outbox_op CHECK (op IN ('upsert', 'delete')), 
	CONSTRAINT ck_outbox_state CHECK (state IN ('pending', 'in_flight', 'delivered', 'retry_wait', 'dead')), 
	CONSTRAINT fk_outbox_replay_id_replays FOREIGN KEY(replay_id) REFERENCES replays (id), 
	CONSTRAINT fk_outbox_replay_of_outbox FOREIGN KEY(replay_of) REFERENCES outbox (id)
);
INSERT INTO "outbox" VALUES(1,'emr_patient_info','P01',1,'upsert',NULL,NULL,'delivered',1,'2026-11-30 02:00:00.000000','2026-11-30 02:00:00.000000',NULL,NULL,'2026-11-30 02:00:00.000000',NULL,NULL,NULL,NULL,NULL,NULL,0);
INSERT INTO "outbox" VALUES(2,'emr_patient_info','P02',1,'upsert',NULL,NULL,'delivered',1,'2026-11-30 02:00:00.000000','2026-11-30 02:00:00.000000',NULL,NULL,'2026-11-30 02:00:00.000000',NULL,NULL,NULL,NULL,NULL,NULL,0);
INSERT INTO "outbox" VALUES(3,'emr_patient_info','P03',1,'upsert',NULL,NULL,'delivered',2,'2026-11-30 02:00:00.000000','2026-11-30 02:01:00.000000',NULL,NULL,'2026-11-30 02:02:00.000000',NULL,NULL,NULL,NULL,NULL,NULL,0);
INSERT INTO "outbox" VALUES(4,'emr_patient_info','P04',1,'upsert',NULL,NULL,'pending',0,'2026-11-30 02:00:00.000000','2026-11-30 02:00:00.000000',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,0);
INSERT INTO "outbox" VALUES(5,'emr_patient_info','P05',1,'upsert',NULL,NULL,'in_flight',1,'2026-11-30 02:00:00.000000','2026-11-30 02:00:00.000000','old-worker','2026-11-30 02:01:00.000000',NULL,NULL,NULL,NULL,NULL,NULL,NULL,0);
INSERT INTO "outbox" VALUES(6,'emr_patient_info','P06',1,'upsert',NULL,NULL,'retry_wait',1,'2026-11-30 02:00:00.000000','2026-11-30 02:02:30.000000',NULL,NULL,NULL,'errorCode 01','01','{}',NULL,NULL,NULL,0);
INSERT INTO "outbox" VALUES(7,'emr_patient_info','P07',1,'upsert',NULL,NULL,'dead',1,'2026-11-30 02:00:00.000000','2026-11-30 02:00:00.000000',NULL,NULL,'2026-11-30 02:02:00.000000','errorCode 04','04','{"result": false, "errorCode": "04"}',NULL,NULL,NULL,0);
INSERT INTO "outbox" VALUES(8,'emr_activity_info','A01',1,'upsert','emr_patient_info','P01','pending',0,'2026-11-30 02:02:00.000000','2026-11-30 02:02:00.000000',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,0);
INSERT INTO "outbox" VALUES(9,'emr_activity_info','A02',1,'upsert','emr_patient_info','P04','pending',0,'2026-11-30 02:02:00.000000','2026-11-30 02:02:00.000000',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,0);
CREATE TABLE quarantine (
	id INTEGER NOT NULL, 
	table_name VARCHAR(64) NOT NULL, 
	record_id VARCHAR(128), 
	op VARCHAR(8) NOT NULL, 
	payload TEXT NOT NULL, 
	violations TEXT NOT NULL, 
	source VARCHAR(200) NOT NULL, 
	received_at DATETIME NOT NULL, 
	CONSTRAINT pk_quarantine PRIMARY KEY (id)
);
INSERT INTO "quarantine" VALUES(1,'emr_patient_info','Q01','upsert','{"id":"Q01","patient_name":"测试"}','[{"table":"emr_patient_info","field":"id_card_type_code","label_zh":"身份证件类别","rule":"required","severity":"error","value":null,"hint_zh":"必填字段为空：请填证件类别代码（hisbridge spec codes id_card_type）；无证件号时按情况填写证件类别 id_card_type_code：外籍患者填 03（护照）并填护照号；新生儿未办身份证填 02（居民户口簿）并填户口簿号，尚未落户则填 99（其他法定有效证件）并填监护人（母亲）的证件号；确实无任何证件填 99 并在 HIS 中补录可核实的证件号；证件类别为 01 时须填 18 位居民身份证号","hint_en":"a required field is empty: fill the ID type code (hisbridge spec codes id_card_type); without an ID number, set id_card_type_code by case: a foreigner 03 (passport) with the passport number; a newborn without a resident ID 02 (household register) with its number, or, not yet registered, 99 (other legal document) with the guardian''s (mother''s) ID number; no document at all: 99, and record a verifiable document number in the HIS; type 01 needs the 18-character resident ID number"},{"table":"emr_patient_info","field":"id_card_type_name","label_zh":"身份证件类别","rule":"required","severity":"error","value":null,"hint_zh":"必填字段为空：填证件类别代码对应的名称（代码映射 id_card_type.csv 会自动给出）","hint_en":"a required field is empty: the label of the ID type code (the id_card_type.csv code map gives it)"},{"table":"emr_patient_info","field":"id_card","label_zh":"身份证件号","rule":"required","severity":"error","value":null,"hint_zh":"必填字段为空：无证件号时按情况填写证件类别 id_card_type_code：外籍患者填 03（护照）并填护照号；新生儿未办身份证填 02（居民户口簿）并填户口簿号，尚未落户则填 99（其他法定有效证件）并填监护人（母亲）的证件号；确实无任何证件填 99 并在 HIS 中补录可核实的证件号；证件类别为 01 时须填 18 位居民身份证号","hint_en":"a required field is empty: without an ID number, set id_card_type_code by case: a foreigner 03 (passport) with the passport number; a newborn without a resident ID 02 (household register) with its number, or, not yet registered, 99 (other legal document) with the guardian''s (mother''s) ID number; no document at all: 99, and record a verifiable document number in the HIS; type 01 needs the 18-character resident ID number"},{"table":"emr_patient_info","field":"gender_code","label_zh":"性别","rule":"required","severity":"error","value":null,"hint_zh":"必填字段为空：必填字段为空：请在 HIS 中补录该值，或在映射 SQL 中选出存放该值的列","hint_en":"a required field is empty: a required field is empty: fill it in the HIS, or select the column that holds it in the mapping SQL"},{"table":"emr_patient_info","field":"gender_name","label_zh":"性别","rule":"required","severity":"error","value":null,"hint_zh":"必填字段为空：必填字段为空：请在 HIS 中补录该值，或在映射 SQL 中选出存放该值的列","hint_en":"a required field is empty: a required field is empty: fill it in the HIS, or select the column that holds it in the mapping SQL"},{"table":"emr_patient_info","field":"nationality_code","label_zh":"国籍代码","rule":"required","severity":"error","value":null,"hint_zh":"必填字段为空：必填字段为空：请在 HIS 中补录该值，或在映射 SQL 中选出存放该值的列","hint_en":"a required field is empty: a required field is empty: fill it in the HIS, or select the column that holds it in the mapping SQL"},{"table":"emr_patient_info","field":"nationality_name","label_zh":"国籍名称","rule":"required","severity":"error","value":null,"hint_zh":"必填字段为空：必填字段为空：请在 HIS 中补录该值，或在映射 SQL 中选出存放该值的列","hint_en":"a required field is empty: a required field is empty: fill it in the HIS, or select the column that holds it in the mapping SQL"},{"table":"emr_patient_info","field":"nation_code","label_zh":"民族","rule":"required","severity":"error","value":null,"hint_zh":"必填字段为空：必填字段为空：请在 HIS 中补录该值，或在映射 SQL 中选出存放该值的列","hint_en":"a required field is empty: a required field is empty: fill it in the HIS, or select the column that holds it in the mapping SQL"},{"table":"emr_patient_info","field":"nation_name","label_zh":"民族","rule":"required","severity":"error","value":null,"hint_zh":"必填字段为空：必填字段为空：请在 HIS 中补录该值，或在映射 SQL 中选出存放该值的列","hint_en":"a required field is empty: a required field is empty: fill it in the HIS, or select the column that holds it in the mapping SQL"},{"table":"emr_patient_info","field":"current_addr_code","label_zh":"现住地区","rule":"required","severity":"error","value":null,"hint_zh":"必填字段为空：必填字段为空：请在 HIS 中补录该值，或在映射 SQL 中选出存放该值的列","hint_en":"a required field is empty: a required field is empty: fill it in the HIS, or select the column that holds it in the mapping SQL"},{"table":"emr_patient_info","field":"current_addr_name","label_zh":"现住地区","rule":"required","severity":"error","value":null,"hint_zh":"必填字段为空：必填字段为空：请在 HIS 中补录该值，或在映射 SQL 中选出存放该值的列","hint_en":"a required field is empty: a required field is empty: fill it in the HIS, or select the column that holds it in the mapping SQL"},{"table":"emr_patient_info","field":"current_addr_detail","label_zh":"现住详细地址","rule":"required","severity":"error","value":null,"hint_zh":"必填字段为空：必填字段为空：请在 HIS 中补录该值，或在映射 SQL 中选出存放该值的列","hint_en":"a required field is empty: a required field is empty: fill it in the HIS, or select the column that holds it in the mapping SQL"},{"table":"emr_patient_info","field":"workunit","label_zh":"工作单位","rule":"required","severity":"error","value":null,"hint_zh":"必填字段为空：必填字段为空：请在 HIS 中补录该值，或在映射 SQL 中选出存放该值的列","hint_en":"a required field is empty: a required field is empty: fill it in the HIS, or select the column that holds it in the mapping SQL"},{"table":"emr_patient_info","field":"tel","label_zh":"电话号码","rule":"required","severity":"error","value":null,"hint_zh":"必填字段为空：必填字段为空：请在 HIS 中补录该值，或在映射 SQL 中选出存放该值的列","hint_en":"a required field is empty: a required field is empty: fill it in the HIS, or select the column that holds it in the mapping SQL"},{"table":"emr_patient_info","field":"org_code","label_zh":"医疗机构","rule":"required","severity":"error","value":null,"hint_zh":"必填字段为空：填本机构 9 位医疗机构代码（映射 SQL 中的常量）","hint_en":"a required field is empty: the institution''s 9-digit organisation code (a constant in the mapping SQL)"},{"table":"emr_patient_info","field":"org_name","label_zh":"医疗机构","rule":"required","severity":"error","value":null,"hint_zh":"必填字段为空：必填字段为空：请在 HIS 中补录该值，或在映射 SQL 中选出存放该值的列","hint_en":"a required field is empty: a required field is empty: fill it in the HIS, or select the column that holds it in the mapping SQL"},{"table":"emr_patient_info","field":"operation_time","label_zh":"操作时间","rule":"required","severity":"error","value":null,"hint_zh":"必填字段为空：填该记录在 HIS 中的最后修改时间（也是增量抽取的水位列）","hint_en":"a required field is empty: the record''s last-modified time in the HIS (also the watermark column)"}]','build-0.1.0','2026-11-30 02:02:00.000000');
CREATE TABLE record_keys (
	table_name VARCHAR(64) NOT NULL, 
	record_id VARCHAR(128) NOT NULL, 
	version INTEGER NOT NULL, 
	content_hash VARCHAR(32) NOT NULL, op VARCHAR(8) DEFAULT 'upsert' NOT NULL, parent_table VARCHAR(64), parent_id VARCHAR(128), 
	CONSTRAINT pk_record_keys PRIMARY KEY (table_name, record_id)
);
INSERT INTO "record_keys" VALUES('emr_patient_info','P01',1,'4ba6077c7017ca7c9dc001271f6a09bd','upsert',NULL,NULL);
INSERT INTO "record_keys" VALUES('emr_patient_info','P03',1,'780aade95ae948dcc3ca76c88ad53cf6','upsert',NULL,NULL);
INSERT INTO "record_keys" VALUES('emr_patient_info','P05',1,'cc596ad45844c0e358d59e8fa1135307','upsert',NULL,NULL);
INSERT INTO "record_keys" VALUES('emr_patient_info','P04',1,'0656e4644014bad30601aac54d0ad6ee','upsert',NULL,NULL);
INSERT INTO "record_keys" VALUES('emr_patient_info','P02',1,'243e2a34a1e0f2f0788507f0f262afca','upsert',NULL,NULL);
INSERT INTO "record_keys" VALUES('emr_patient_info','P06',1,'7aacdc92866283f8a4c2f03a8f6370ee','upsert',NULL,NULL);
INSERT INTO "record_keys" VALUES('emr_patient_info','P07',1,'eab0514232d85268090df17088838325','upsert',NULL,NULL);
INSERT INTO "record_keys" VALUES('emr_activity_info','A02',1,'03990f010ce263ba6021ce5cb32be348','upsert','emr_patient_info','P04');
INSERT INTO "record_keys" VALUES('emr_activity_info','A01',1,'5752831e1ea24d5da28b5d44c102df38','upsert','emr_patient_info','P01');
CREATE TABLE records (
	table_name VARCHAR(64) NOT NULL, 
	record_id VARCHAR(128) NOT NULL, 
	version INTEGER NOT NULL, 
	op VARCHAR(8) NOT NULL, 
	content_hash VARCHAR(32) NOT NULL, 
	payload TEXT NOT NULL, 
	source VARCHAR(200) NOT NULL, 
	received_at DATETIME NOT NULL, 
	CONSTRAINT pk_records PRIMARY KEY (table_name, record_id, version), 
	CONSTRAINT ck_records_op CHECK (op IN ('upsert', 'delete'))
);
INSERT INTO "records" VALUES('emr_patient_info','P01',1,'upsert','4ba6077c7017ca7c9dc001271f6a09bd','{"birth_date":"1990-05-17","current_addr_code":"440106001","current_addr_detail":"curren509532","current_addr_name":"curren536110","education_code":"1","gender_code":"1","gender_name":"gender4410","id":"P01","id_card":"440304199005173758","id_card_type_code":"01","id_card_type_name":"id_car794772","invalid_flag":"0","marital_status_code":"1","nation_code":"01","nation_name":"nation271493","nationality_code":"004","nationality_name":"nation42450","nultitude_type_code":"01","operation_time":"2026-03-27 09:30:00","org_code":"440100001","org_name":"org_na821872","patient_name":"测试患者","permanent_addr_code":"440106001","tel":"tel962838","workunit":"workun424604"}','build-0.1.0','2026-11-30 02:00:00.000000');
INSERT INTO "records" VALUES('emr_patient_info','P02',1,'upsert','243e2a34a1e0f2f0788507f0f262afca','{"birth_date":"1990-05-17","current_addr_code":"440106001","current_addr_detail":"curren519501","current_addr_name":"curren123646","education_code":"1","gender_code":"1","gender_name":"gender8008","id":"P02","id_card":"440103199005177137","id_card_type_code":"01","id_card_type_name":"id_car888598","invalid_flag":"0","marital_status_code":"1","nation_code":"01","nation_name":"nation267459","nationality_code":"004","nationality_name":"nation66172","nultitude_type_code":"01","operation_time":"2026-03-21 12:30:00","org_code":"440100001","org_name":"org_na495185","patient_name":"测试患者","permanent_addr_code":"440106001","tel":"tel471325","workunit":"workun797926"}','build-0.1.0','2026-11-30 02:00:00.000000');
INSERT INTO "records" VALUES('emr_patient_info','P03',1,'upsert','780aade95ae948dcc3ca76c88ad53cf6','{"birth_date":"1990-05-17","current_addr_code":"440106001","current_addr_detail":"curren177297","current_addr_name":"curren876084","education_code":"1","gender_code":"1","gender_name":"gender9603","id":"P03","id_card":"440103199005170779","id_card_type_code":"01","id_card_type_name":"id_car890298","invalid_flag":"0","marital_status_code":"1","nation_code":"01","nation_name":"nation378596","nationality_code":"004","nationality_name":"nation88994","nultitude_type_code":"01","operation_time":"2026-03-10 08:30:00","org_code":"440100001","org_name":"org_na702263","patient_name":"测试患者","permanent_addr_code":"440106001","tel":"tel848258","workunit":"workun771720"}','build-0.1.0','2026-11-30 02:00:00.000000');
INSERT INTO "records" VALUES('emr_patient_info','P04',1,'upsert','0656e4644014bad30601aac54d0ad6ee','{"birth_date":"1990-05-17","current_addr_code":"440106001","current_addr_detail":"curren656115","current_addr_name":"curren497081","education_code":"1","gender_code":"1","gender_name":"gender3879","id":"P04","id_card":"310104199005173299","id_card_type_code":"01","id_card_type_name":"id_car570665","invalid_flag":"0","marital_status_code":"1","nation_code":"01","nation_name":"nation633256","nationality_code":"004","nationality_name":"nation960437","nultitude_type_code":"01","operation_time":"2026-03-01 15:30:00","org_code":"440100001","org_name":"org_na635017","patient_name":"测试患者","permanent_addr_code":"440106001","tel":"tel68711","workunit":"workun609067"}','build-0.1.0','2026-11-30 02:00:00.000000');
INSERT INTO "records" VALUES('emr_patient_info','P05',1,'upsert','cc596ad45844c0e358d59e8fa1135307','{"birth_date":"1990-05-17","current_addr_code":"440106001","current_addr_detail":"curren69746","current_addr_name":"curren94476","education_code":"1","gender_code":"1","gender_name":"gender4152","id":"P05","id_card":"31010419900517569X","id_card_type_code":"01","id_card_type_name":"id_car108177","invalid_flag":"0","marital_status_code":"1","nation_code":"01","nation_name":"nation162500","nationality_code":"004","nationality_name":"nation502140","nultitude_type_code":"01","operation_time":"2026-03-10 01:30:00","org_code":"440100001","org_name":"org_na576089","patient_name":"测试患者","permanent_addr_code":"440106001","tel":"tel421098","workunit":"workun20779"}','build-0.1.0','2026-11-30 02:00:00.000000');
INSERT INTO "records" VALUES('emr_patient_info','P06',1,'upsert','7aacdc92866283f8a4c2f03a8f6370ee','{"birth_date":"1990-05-17","current_addr_code":"440106001","current_addr_detail":"curren775839","current_addr_name":"curren882388","education_code":"1","gender_code":"1","gender_name":"gender8338","id":"P06","id_card":"440103199005170832","id_card_type_code":"01","id_card_type_name":"id_car777820","invalid_flag":"0","marital_status_code":"1","nation_code":"01","nation_name":"nation988230","nationality_code":"004","nationality_name":"nation723985","nultitude_type_code":"01","operation_time":"2026-03-01 14:30:00","org_code":"440100001","org_name":"org_na555787","patient_name":"测试患者","permanent_addr_code":"440106001","tel":"tel967127","workunit":"workun683704"}','build-0.1.0','2026-11-30 02:00:00.000000');
INSERT INTO "records" VALUES('emr_patient_info','P07',1,'upsert','eab0514232d85268090df17088838325','{"birth_date":"1990-05-17","current_addr_code":"440106001","current_addr_detail":"curren473","current_addr_name":"curren38611","education_code":"1","gender_code":"1","gender_name":"gender5085","id":"P07","id_card":"440304199005170995","id_card_type_code":"01","id_card_type_name":"id_car861881","invalid_flag":"0","marital_status_code":"1","nation_code":"01","nation_name":"nation274330","nationality_code":"004","nationality_name":"nation799242","nultitude_type_code":"01","operation_time":"2026-03-16 23:30:00","org_code":"440100001","org_name":"org_na614973","patient_name":"测试患者","permanent_addr_code":"440106001","tel":"tel695015","workunit":"workun152649"}','build-0.1.0','2026-11-30 02:00:00.000000');
INSERT INTO "records" VALUES('emr_activity_info','A01',1,'upsert','5752831e1ea24d5da28b5d44c102df38','{"activity_time":"2026-03-18 14:30:00","activity_type_code":"1","chief_complaint":"患者自述无明显不适","dept_code":"A01","diagnose_time":"2026-03-15 16:30:00","disease_code":"A20","id":"A01","id_card_type_code":"01","invalid_flag":"0","operation_time":"2026-03-19 06:30:00","org_code":"440100001","patient_id":"P01","physical_examination":"患者自述无明显不适","present_illness_his":"患者自述无明显不适","studies_summary_result":"患者自述无明显不适","tcm_disease_code":"BNF010","tcm_syndrome_code":"ZBRGX0","wm_disease_code":"A15.0"}','build-0.1.0','2026-11-30 02:02:00.000000');
INSERT INTO "records" VALUES('emr_activity_info','A02',1,'upsert','03990f010ce263ba6021ce5cb32be348','{"activity_time":"2026-03-22 16:30:00","activity_type_code":"1","chief_complaint":"患者自述无明显不适","dept_code":"A01","diagnose_time":"2026-03-22 11:30:00","disease_code":"A20","id":"A02","id_card_type_code":"01","invalid_flag":"0","operation_time":"2026-03-05 12:30:00","org_code":"440100001","patient_id":"P04","physical_examination":"患者自述无明显不适","present_illness_his":"患者自述无明显不适","studies_summary_result":"患者自述无明显不适","tcm_disease_code":"BNF010","tcm_syndrome_code":"ZBRGX0","wm_disease_code":"A15.0"}','build-0.1.0','2026-11-30 02:02:00.000000');
CREATE TABLE replays (
	id INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	filter TEXT NOT NULL, 
	entries INTEGER NOT NULL, 
	requested_by VARCHAR(200) NOT NULL, 
	CONSTRAINT pk_replays PRIMARY KEY (id)
);
CREATE TABLE source_excluded_keys (
	source VARCHAR(40) NOT NULL, 
	table_name VARCHAR(64) NOT NULL, 
	record_key VARCHAR(128) NOT NULL, 
	rule VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_source_excluded_keys PRIMARY KEY (source, table_name, record_key)
);
CREATE TABLE source_rejects (
	id INTEGER NOT NULL, 
	source VARCHAR(40) NOT NULL, 
	table_name VARCHAR(64) NOT NULL, 
	record_id VARCHAR(128), 
	stage VARCHAR(8) NOT NULL, 
	violations TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_source_rejects PRIMARY KEY (id), 
	CONSTRAINT ck_source_rejects_stage CHECK (stage IN ('mapping', 'intake'))
);
CREATE TABLE source_runs (
	id INTEGER NOT NULL, 
	source VARCHAR(40) NOT NULL, 
	table_name VARCHAR(64) NOT NULL, 
	started_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	status VARCHAR(8) NOT NULL, 
	since VARCHAR(40), 
	until VARCHAR(40), 
	rows_read INTEGER NOT NULL, 
	accepted INTEGER NOT NULL, 
	unchanged INTEGER NOT NULL, 
	rejected INTEGER NOT NULL, 
	filtered INTEGER NOT NULL, 
	deleted INTEGER NOT NULL, 
	unmapped INTEGER NOT NULL, 
	error TEXT, withheld INTEGER DEFAULT '0' NOT NULL, 
	CONSTRAINT pk_source_runs PRIMARY KEY (id), 
	CONSTRAINT ck_source_runs_status CHECK (status IN ('running', 'ok', 'failed'))
);
CREATE TABLE source_seen_keys (
	source VARCHAR(40) NOT NULL, 
	table_name VARCHAR(64) NOT NULL, 
	day VARCHAR(10) NOT NULL, 
	record_key VARCHAR(128) NOT NULL, 
	CONSTRAINT pk_source_seen_keys PRIMARY KEY (source, table_name, day, record_key)
);
CREATE TABLE source_unmapped_codes (
	source VARCHAR(40) NOT NULL, 
	table_name VARCHAR(64) NOT NULL, 
	column_name VARCHAR(64) NOT NULL, 
	hospital_code VARCHAR(100) NOT NULL, 
	code_set VARCHAR(64) NOT NULL, 
	count INTEGER NOT NULL, 
	first_seen DATETIME NOT NULL, 
	last_seen DATETIME NOT NULL, outcome VARCHAR(12) DEFAULT 'unmapped' NOT NULL, mapped_to VARCHAR(100), 
	CONSTRAINT pk_source_unmapped_codes PRIMARY KEY (source, table_name, column_name, hospital_code)
);
CREATE TABLE source_watermarks (
	source VARCHAR(40) NOT NULL, 
	table_name VARCHAR(64) NOT NULL, 
	watermark VARCHAR(40) NOT NULL, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_source_watermarks PRIMARY KEY (source, table_name)
);
CREATE INDEX ix_source_runs_source_table_name_started_at ON source_runs (source, table_name, started_at);
CREATE INDEX ix_source_rejects_source_table_name_created_at ON source_rejects (source, table_name, created_at);
CREATE INDEX ix_source_seen_keys_day ON source_seen_keys (day);
CREATE INDEX ix_quarantine_table_name_received_at ON quarantine (table_name, received_at);
CREATE INDEX ix_outbox_state_id ON outbox (state, id);
CREATE INDEX ix_outbox_state_next_attempt_at ON outbox (state, next_attempt_at);
CREATE INDEX ix_outbox_table_name_record_id ON outbox (table_name, record_id, id);
CREATE INDEX ix_attempts_outbox_id ON attempts (outbox_id);
CREATE INDEX ix_outbox_finished_at_id ON outbox (finished_at, id);
CREATE INDEX ix_outbox_replay_of ON outbox (replay_of);
CREATE INDEX ix_record_keys_parent ON record_keys (parent_table, parent_id);
CREATE INDEX ix_outbox_parent ON outbox (parent_table, parent_id);
CREATE INDEX ix_messages_dept_code_seq ON messages (dept_code, seq);
CREATE UNIQUE INDEX ix_messages_seq ON messages (seq);
CREATE INDEX ix_messages_user_id_seq ON messages (user_id, seq);
CREATE UNIQUE INDEX ix_message_webhook_deliveries_msg_id ON message_webhook_deliveries (msg_id);
CREATE INDEX ix_message_webhook_deliveries_state_next_attempt_at ON message_webhook_deliveries (state, next_attempt_at);
CREATE INDEX ix_console_sessions_user_name ON console_sessions (user_name);
CREATE INDEX ix_console_login_attempts_user_name_at ON console_login_attempts (user_name, at);
CREATE INDEX ix_console_actions_at ON console_actions (at);
CREATE INDEX ix_alert_events_rule_subject_resolved_at ON alert_events (rule, subject, resolved_at);
CREATE INDEX ix_console_login_attempts_remote_at ON console_login_attempts (remote, at);
CREATE INDEX ix_gd_consent_auth_id ON gd_consent (auth_id);
CREATE INDEX ix_gd_consent_his_patient_id_encounter_id ON gd_consent (his_patient_id, encounter_id);
CREATE INDEX ix_gd_consent_status_valid_to ON gd_consent (status, valid_to);
CREATE INDEX ix_gd_encounter_his_patient_id ON gd_encounter (his_patient_id);
CREATE INDEX ix_gd_encounter_appointment_id ON gd_encounter (appointment_id);
CREATE INDEX ix_gd_callback_auth_id ON gd_callback (auth_id);
CREATE INDEX ix_audit_log_occurred_at ON audit_log (occurred_at);
CREATE INDEX ix_audit_log_consent_id ON audit_log (consent_id);
CREATE INDEX ix_audit_log_patient_key ON audit_log (patient_key);
COMMIT;
