-- 用户：每个用户 × 机构 × 科室一行（一人多科室则多行）。在每个机构里，用户在该机构的主科室那一行
-- 的 id 用工号，与各业务表的 operator_id（工号）一致，单点登录与预警都按它找人；其余科室行用用户
-- 科室关联号。医共体里一位医生在两个机构执业（staff_org 每个机构一行），就在两个机构各有一行，
-- id 都是工号，org_code 各是该机构的代码。单体医院的 HIS 没有 staff_org 行，主科室按 main_flag。
-- Users: one row per user x institution x department. In each institution the row of the
-- user's main department there is keyed by the staff number (what operator_id carries: SSO and
-- warnings find the doctor by it), the others by the user-department link id. A doctor working
-- in two institutions of a county group (a staff_org row each) gets a row in each, both keyed by
-- the staff number, each with its institution's org_code. A single hospital's HIS has no
-- staff_org rows: the main department is the one main_flag marks.
-- table: base_user
-- key: id
-- watermark: updated_at
-- delete_flag: deleted
-- codes: id_card_type_code=id_card_type, dept_code=department
SELECT CASE WHEN o.dept_code = l.dept_code OR (o.link_id IS NULL AND l.main_flag = '1')
            THEN l.emp_no ELSE l.link_id END AS id,
       s.name AS user_name,
       '01' AS id_card_type_code,
       s.id_no AS id_card,
       s.phone AS tel,
       s.cert_no AS physician_no,
       l.dept_code AS dept_code,
       s.create_time AS create_time,
       '0' AS invalid_flag,
       s.login_name AS login_name,
       '2' AS user_type_code,
       s.stop_flag AS deleted,
       k.org_code AS org_code,
       CASE WHEN o.modify_time > l.modify_time THEN o.modify_time ELSE l.modify_time END
         AS updated_at
FROM staff_dept l
JOIN staff_dict s ON s.emp_no = l.emp_no
LEFT JOIN dept_dict k ON k.dept_code = l.dept_code
LEFT JOIN staff_org o ON o.emp_no = l.emp_no AND o.org_code = k.org_code
WHERE ((l.modify_time >= :since AND l.modify_time <= :until)
       OR (o.modify_time >= :since AND o.modify_time <= :until))
  AND (CASE WHEN o.modify_time > l.modify_time THEN o.modify_time ELSE l.modify_time END)
      <= :until
ORDER BY updated_at, l.link_id
