-- 用户：每个用户 × 机构 × 科室一行（一人多科室则多行）。主科室那一行的 id 用工号，
-- 与各业务表的 operator_id（工号）一致，单点登录与预警都按它找人；其余科室行用用户科室关联号。
-- Users: one row per user x institution x department. The main department's row is keyed by
-- the staff number, which is what operator_id carries in every clinical table (SSO and warnings
-- find the doctor by it); the other departments' rows by the user-department link id.
-- table: base_user
-- key: id
-- watermark: updated_at
-- delete_flag: deleted
-- codes: id_card_type_code=id_card_type, dept_code=department
SELECT CASE WHEN l.main_flag = '1' THEN l.emp_no ELSE l.link_id END AS id,
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
       l.modify_time AS updated_at
FROM staff_dept l
JOIN staff_dict s ON s.emp_no = l.emp_no
WHERE l.modify_time >= :since AND l.modify_time <= :until
ORDER BY l.modify_time, l.link_id
